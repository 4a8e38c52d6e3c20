"""The app-store models (SQLAlchemy 2), one module per resource family."""

from __future__ import annotations

from churnguard.workflow.models.archive import ChurnRecord, HandOver, ReturnVisit
from churnguard.workflow.models.audit import AuditEntry
from churnguard.workflow.models.base import Base, utcnow
from churnguard.workflow.models.campaigns import Campaign, CampaignMember
from churnguard.workflow.models.care import CareEvent
from churnguard.workflow.models.complaints import (
    Complaint,
    Improvement,
    ImprovementCustomer,
    Survey,
    SurveyAnswer,
)
from churnguard.workflow.models.customers import Contact, Customer, PointsEntry, TierChange
from churnguard.workflow.models.jobs import JOB_STATUSES, Job
from churnguard.workflow.models.notify import MarketingOptOut, OutboxMessage
from churnguard.workflow.models.tasks import CaseStage, Offer, RetentionPlan, RiskCase, Task
from churnguard.workflow.models.users import ROLES, AuthSession, LoginAttempt, User

__all__ = [
    "ROLES", "AuditEntry", "AuthSession", "Base", "Campaign", "CampaignMember", "CareEvent",
    "CaseStage", "ChurnRecord", "Complaint", "Contact", "Customer", "HandOver", "Improvement",
    "ImprovementCustomer", "JOB_STATUSES", "Job", "LoginAttempt", "MarketingOptOut", "Offer",
    "OutboxMessage", "PointsEntry",
    "RetentionPlan", "ReturnVisit", "RiskCase", "Survey", "SurveyAnswer", "Task", "TierChange",
    "User", "utcnow",
]

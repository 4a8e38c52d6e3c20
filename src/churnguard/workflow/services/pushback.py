"""Write the workflow's results back to the warehouse, where analytics and the risk model
read them. Each table is replaced atomically (``ws.warehouse.replace``).

* ``churn_archive``: ``customer_id, churn_date, reason, valuable, won_back_on``
* ``app_complaints``: every complaint with its deadline, response, escalation and resolution
* ``campaign_outcomes``: ``campaign_id, campaign, kind, customer_id, group, contacted_at,
  outcome, outcome_at``
* ``risk_case_outcomes``: ``case_id, customer_id, owner, segment, stage, opened_at, closed_at,
  value_at_risk``
* ``customer_owners``: ``customer_id, owner, owner_staff_id, handover_flag`` (the flag marks
  customers whose owner left, for the risk model)
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from churnguard.workflow.models import (
    Campaign,
    CampaignMember,
    ChurnRecord,
    Complaint,
    Customer,
    RiskCase,
    User,
)
from churnguard.workflow.services.frames import read_frame

PUSHED_TABLES = ("churn_archive", "app_complaints", "campaign_outcomes", "risk_case_outcomes",
                 "customer_owners")


def _queries() -> dict[str, Any]:
    owner = aliased(User)
    return {
        "churn_archive": select(ChurnRecord.customer_id, ChurnRecord.churn_date,
                                ChurnRecord.reason, ChurnRecord.valuable,
                                ChurnRecord.won_back_on).order_by(ChurnRecord.customer_id),
        "app_complaints": select(
            Complaint.id.label("complaint_id"), Complaint.customer_id, Complaint.severity,
            Complaint.reason, Complaint.status, Complaint.received_at, Complaint.response_due_at,
            Complaint.responded_at, Complaint.escalated_at, Complaint.resolved_at,
            Complaint.compensation).order_by(Complaint.id),
        "campaign_outcomes": select(
            Campaign.id.label("campaign_id"), Campaign.name.label("campaign"), Campaign.kind,
            CampaignMember.customer_id, CampaignMember.group, CampaignMember.contacted_at,
            CampaignMember.outcome, CampaignMember.outcome_at,
        ).join(Campaign, Campaign.id == CampaignMember.campaign_id).order_by(
            Campaign.id, CampaignMember.customer_id),
        "risk_case_outcomes": select(
            RiskCase.id.label("case_id"), RiskCase.customer_id, owner.username.label("owner"),
            RiskCase.segment, RiskCase.stage, RiskCase.opened_at, RiskCase.closed_at,
            RiskCase.value_at_risk).outerjoin(owner, owner.id == RiskCase.owner_id
                                              ).order_by(RiskCase.id),
        "customer_owners": select(
            Customer.id.label("customer_id"), owner.username.label("owner"),
            owner.staff_id.label("owner_staff_id"), Customer.handover_flag,
        ).outerjoin(owner, owner.id == Customer.owner_id).order_by(Customer.id),
    }


def push_back(ws: Any, session: Session) -> dict[str, int]:
    """Replace the pushed tables in the warehouse; returns rows written per table."""
    counts = {}
    for name, query in _queries().items():
        frame = read_frame(session, query)
        ws.warehouse.replace(name, _arrow(frame, query))
        counts[name] = len(frame)
    return counts


def _arrow(frame: pd.DataFrame, query: Any) -> pa.Table:
    """An Arrow table with a stable schema even when ``frame`` is empty."""
    fields = []
    for column in query.selected_columns:
        python = _python_type(column.type)
        fields.append(pa.field(column.key, python))
    schema = pa.schema(fields)
    if frame.empty:
        return schema.empty_table()
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _python_type(sql_type: Any) -> pa.DataType:
    name = type(sql_type).__name__.lower()
    if "datetime" in name:
        return pa.timestamp("us")
    if "date" in name:
        return pa.date32()
    if "bool" in name:
        return pa.bool_()
    if "integer" in name:
        return pa.int64()
    if "float" in name or "numeric" in name:
        return pa.float64()
    return pa.string()

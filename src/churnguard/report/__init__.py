"""Reports: the demo report and the monthly retention review (HTML, Excel, PDF)."""

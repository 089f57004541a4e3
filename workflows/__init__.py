"""Temporal workflows: ``TriageWorkflow`` runs the triage graph with each node as an activity."""

from workflows.ids import triage_workflow_id
from workflows.triage import TriageWorkflow

__all__ = ["TriageWorkflow", "triage_workflow_id"]

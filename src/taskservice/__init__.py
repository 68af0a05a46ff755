"""taskservice: the team's canonical list of tasks."""

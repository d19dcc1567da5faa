from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"  # everything, including settings and agents
    SUPERVISOR = "supervisor", "Supervisor"  # every store's conversations, reports, assignment
    AGENT = "agent", "Agent"  # every store's conversations
    RESTRICTED = "restricted", "Restricted agent"  # only the stores listed on the agent

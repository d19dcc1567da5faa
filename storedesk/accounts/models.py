from django.contrib.auth.models import AbstractUser
from django.db import models

from storedesk.accounts.enums import Role
from storedesk.core.models import TimeStampedModel

SIGNATURE_MAX_LENGTH = 1000


class Agent(AbstractUser):
    """A person who works in storedesk (Django's user model)."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(max_length=150, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # Chat availability (the workspace toggle) and when the workspace last checked in: an
    # agent is available to chat when both say so (storedesk.inboxes.adapters.webchat).
    available = models.BooleanField(default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Plain text added below the agent's replies that go out by email (after "-- ").
    signature = models.TextField(max_length=SIGNATURE_MAX_LENGTH, blank=True)
    # For restricted agents: the only stores they may see. Ignored for other roles.
    stores = models.ManyToManyField("stores.Store", blank=True, related_name="restricted_agents")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def name(self) -> str:
        return str(self)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_restricted(self) -> bool:
        return self.role == Role.RESTRICTED and not self.is_superuser


class Team(TimeStampedModel):
    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(Agent, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(TimeStampedModel):
    """A personal API token. Only a SHA-256 of the secret is stored; ``prefix`` finds the row."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="api")
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.agent} / {self.name} ({self.prefix})"


class AuditLog(models.Model):
    """Who did what to which record: security-relevant and administrative actions."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

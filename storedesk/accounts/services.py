"""Writes for agents, teams, API tokens and the audit log."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from storedesk.accounts.enums import Role
from storedesk.accounts.models import SIGNATURE_MAX_LENGTH, Agent, ApiToken, AuditLog, Team
from storedesk.core.errors import ValidationError
from storedesk.core.queries import unique_row

TOKEN_PREFIX = "sdk"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit_log(
    *, actor: Agent | None, action: str, target=None, data: dict | None = None
) -> AuditLog:
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
    )


def agent_create(
    *,
    username: str,
    password: str | None,
    role: str = Role.AGENT,
    email: str = "",
    display_name: str = "",
    stores=(),
    teams=(),
    is_superuser: bool = False,
    actor: Agent | None = None,
) -> Agent:
    """Create an agent. ``password=None`` leaves the account without a usable password."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.", field="role")
    if Agent.objects.filter(username__iexact=username).exists():
        raise ValidationError("This username is taken.", field="username")
    with transaction.atomic():
        agent = Agent(
            username=username,
            email=email,
            role=role,
            display_name=display_name,
            is_superuser=is_superuser,
            is_staff=is_superuser or role == Role.ADMIN,
        )
        if password is None:
            agent.set_unusable_password()
        else:
            agent.set_password(password)
        agent.save()
        if stores:
            agent.stores.set(stores)
        for team in teams:
            team.members.add(agent)
        audit_log(actor=actor, action="agent.created", target=agent, data={"role": role})
    return agent


def _team_name(name: str, *, excluding: Team | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("Give the team a name.", field="name")
    clash = Team.objects.filter(name__iexact=name)
    if excluding is not None:
        clash = clash.exclude(pk=excluding.pk)
    if clash.exists():
        raise ValidationError("A team with this name exists.", field="name")
    return name[:120]


def team_create(*, name: str, members=()) -> Team:
    """Create a team; names are unique regardless of case."""
    team = Team.objects.create(name=_team_name(name))
    if members:
        team.members.set(members)
    return team


def api_token_create(*, agent: Agent, name: str = "api") -> tuple[ApiToken, str]:
    """Create a token for ``agent``. Returns the row and the secret, which is shown only once
    (only its SHA-256 is stored)."""
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        agent=agent, name=name, prefix=prefix, token_hash=_hash_token(secret)
    )
    audit_log(actor=agent, action="api_token.created", target=token, data={"name": name})
    return token, secret


def api_token_authenticate(secret: str) -> Agent | None:
    """The active agent owning ``secret``, or ``None``. Constant-time comparison."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = unique_row(
        ApiToken.objects.select_related("agent").filter(prefix=parts[1], revoked_at__isnull=True)
    )
    if token is None or not hmac.compare_digest(token.token_hash, _hash_token(secret)):
        return None
    if not token.agent.is_active:
        return None
    now = timezone.now()
    # Written at most once a minute per token: no write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.agent


def api_token_revoke(*, token: ApiToken, actor: Agent) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    audit_log(actor=actor, action="api_token.revoked", target=token)


def agent_update_preferences(
    *,
    agent: Agent,
    display_name: str,
    locale: str,
    time_zone: str,
    signature: str | None = None,
) -> Agent:
    """The agent's own display name, language, time zone (empty: follow defaults) and email
    signature (plain text; ``None`` leaves it unchanged)."""
    agent.display_name = display_name.strip()[:150]
    agent.locale = locale
    agent.time_zone = time_zone
    fields = ["display_name", "locale", "time_zone"]
    if signature is not None:
        # Normalise line endings so the "-- " separator and the HTML version stay exact.
        agent.signature = signature.replace("\r\n", "\n").strip()[:SIGNATURE_MAX_LENGTH]
        fields.append("signature")
    agent.save(update_fields=fields)
    return agent


def agent_set_availability(*, agent: Agent, available: bool) -> Agent:
    """The agent's chat availability switch: off, chats go offline unless someone else
    is available (storedesk.inboxes.adapters.webchat.service.agents_available)."""
    agent.available = available
    agent.save(update_fields=["available"])
    return agent


def agent_update(
    *,
    agent: Agent,
    actor: Agent,
    role: str,
    stores=(),
    teams=(),
    is_active: bool = True,
    display_name: str | None = None,
    email: str | None = None,
) -> Agent:
    """An administrator changes an agent's role, stores (restricted agents), teams and whether
    the account is active. Administrators cannot demote or deactivate themselves."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.", field="role")
    if agent.pk == actor.pk and (role != Role.ADMIN or not is_active):
        raise ValidationError("You cannot demote or deactivate yourself.", field="role")
    if role == Role.RESTRICTED and not stores:
        raise ValidationError("A restricted agent needs at least one store.", field="stores")
    with transaction.atomic():
        before = {"role": agent.role, "is_active": agent.is_active}
        agent.role = role
        agent.is_active = is_active
        agent.is_staff = role == Role.ADMIN or agent.is_superuser
        if display_name is not None:
            agent.display_name = display_name.strip()[:150]
        if email is not None:
            agent.email = email.strip()
        agent.save()
        agent.stores.set(stores if role == Role.RESTRICTED else [])
        agent.teams.set(teams)
        audit_log(
            actor=actor,
            action="agent.updated",
            target=agent,
            data={
                "before": before,
                "role": role,
                "is_active": is_active,
                "stores": sorted(s.pk for s in stores),
            },
        )
    return agent


def team_update(*, team: Team, actor: Agent, name: str, members=()) -> Team:
    name = _team_name(name, excluding=team)
    with transaction.atomic():
        team.name = name
        team.save()
        team.members.set(members)
        audit_log(actor=actor, action="team.updated", target=team)
    return team

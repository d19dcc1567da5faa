from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from storedesk.inboxes import imap_services, services
from storedesk.inboxes.models import InboundPayload, PayloadStatus


@db_task()
def process_payload(payload_id: int) -> None:
    services.inbound_payload_process(payload_id=payload_id)


@db_periodic_task(crontab(minute="*"))
def sweep_payloads() -> None:
    """Every minute: process stored payloads a lost task left pending."""
    stale = timezone.now() - timedelta(minutes=1)
    pending = InboundPayload.objects.filter(
        status=PayloadStatus.PENDING, received_at__lt=stale, attempts__lt=5
    ).values_list("id", flat=True)[:500]
    for payload_id in pending:
        process_payload(payload_id)


@db_task()
def poll_mailbox(inbox_id: int, lease_token: str) -> None:
    """Poll one mailbox under the lease the scheduler took for it."""
    imap_services.mailbox_poll(inbox_id=inbox_id, lease_token=lease_token)


@db_periodic_task(crontab(minute="*"))
def schedule_mailbox_polls() -> None:
    """Every minute: claim each due IMAP mailbox (a lease, so concurrent schedulers and
    workers never poll one twice) and enqueue its poll."""
    for inbox_id, lease_token in imap_services.mailboxes_claim_due():
        poll_mailbox(inbox_id, lease_token)

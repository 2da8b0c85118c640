"""Outgoing email whose lines survive being read in a console or copied from a mail client."""

import email.policy

from django.core.mail import EmailMultiAlternatives

# RFC 5322's hard limit on a line. Python's email package otherwise quoted-printable-encodes any body with a
# line over 78 characters, which breaks a long confirmation link with "=" and soft line breaks.
MAX_LINE = 998


class UnbrokenEmail(EmailMultiAlternatives):
    """An email whose text goes out as 7bit (8bit if not ASCII) with its lines whole, not quoted-printable."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=MAX_LINE))

    @classmethod
    def from_message(cls, message: EmailMultiAlternatives) -> "UnbrokenEmail":
        unbroken = cls(
            message.subject,
            message.body,
            message.from_email,
            message.to,
            bcc=message.bcc,
            cc=message.cc,
            reply_to=message.reply_to,
            headers=message.extra_headers,
        )
        unbroken.content_subtype = message.content_subtype
        for alternative in getattr(message, "alternatives", []):
            unbroken.attach_alternative(alternative.content, alternative.mimetype)
        return unbroken

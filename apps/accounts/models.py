from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email: str):
        # Sign-in is case-insensitive: Alice@Example.com and alice@example.com are one person.
        return self.get(email__iexact=email)

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


class ColorMode(models.TextChoices):
    """Bootstrap 5.3 colour modes; "system" follows the device's light or dark setting."""

    SYSTEM = "system", "Follow the system"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class User(AbstractBaseUser, PermissionsMixin):
    """A trader. The email address is the login; there is no username."""

    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(
        max_length=64,
        default=settings.DEFAULT_USER_TIME_ZONE,
        choices=time_zone_choices,
        help_text="Decides which day a trade belongs to.",
    )
    sync_on_login = models.BooleanField(
        "sync automatically when I sign in",
        default=True,
    )
    sync_scheduled = models.BooleanField(
        "sync on the schedule (nightly)",
        default=True,
    )
    backup_nightly = models.BooleanField(
        "keep a nightly backup (the last 7)",
        default=False,
    )
    # Management rules the Edge report checks short premium trades against (tastytrade's own habits).
    profit_target_percent = models.PositiveSmallIntegerField(
        "take profits at (% of max profit)",
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    management_dte = models.PositiveSmallIntegerField(
        "manage at (days to expiration)",
        default=21,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    color_mode = models.CharField("colour mode", max_length=6, choices=ColorMode.choices, default=ColorMode.SYSTEM)
    # The Positions page marks an underlying whose capital at risk is above this share of net liquidating value.
    concentration_warning_percent = models.PositiveSmallIntegerField(
        "warn when one underlying holds more than (% of net liq)",
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

"""The referrals app's models; each part of the app keeps its own module here."""
from referrals.models.invite_links import InviteLink, InviteSignup  # noqa: F401
from referrals.models.referrals import BonusOn, ReferralReward, ReferralSettings, RewardKind  # noqa: F401
from referrals.models.agents import Agent, AgentClient  # noqa: F401
from referrals.models.families import Family, FamilyBirthday, FamilyMember  # noqa: F401
from referrals.models.funds import Donation, Fund  # noqa: F401

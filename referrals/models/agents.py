"""Agents: partners (an interior designer, a coach) who earn a share of their clients' purchases."""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer, Merchant

PERCENT = {"max_digits": 5, "decimal_places": 2}


class Agent(models.Model):
    """A customer made an agent: `percent` of each client's purchase (money paid) is theirs to split."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="agent_profile")
    percent = models.DecimalField(**PERCENT)
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="agent_percent_0_100")]
        indexes = [models.Index(fields=["merchant", "since"], name="agent_merchant_since")]

    def __str__(self) -> str:
        return f"Agent {self.customer_id} {self.percent}%"


class AgentClient(models.Model):
    """A client tied to an agent, with the split: a discount for the client and points for the agent.

    Both percents null: no discount, the agent earns their whole `percent`. A client has one agent.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="clients", db_index=False)
    client = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="agent_tie")
    client_discount_percent = models.DecimalField(null=True, blank=True, **PERCENT)
    agent_points_percent = models.DecimalField(null=True, blank=True, **PERCENT)
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(client_discount_percent__isnull=True) | Q(client_discount_percent__gte=0, client_discount_percent__lte=100),
                name="agentclient_discount_0_100"),
            models.CheckConstraint(
                condition=Q(agent_points_percent__isnull=True) | Q(agent_points_percent__gte=0, agent_points_percent__lte=100),
                name="agentclient_points_0_100"),
        ]
        indexes = [models.Index(fields=["merchant", "agent"], name="agentclient_merchant_agent")]

    def __str__(self) -> str:
        return f"{self.client_id} via {self.agent_id}"

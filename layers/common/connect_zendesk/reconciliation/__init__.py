"""Reconciliation: contacts whose DISCONNECTED event never arrived still get their post-call update.

EventBridge delivers Amazon Connect contact events on a best-effort basis. The flow functions mark
every contact they record as pending (`postCallPending`, a sparse index over its last activity); a
scheduled sweep asks Amazon Connect about the pending contacts nobody has heard of for a while and
sends the post-call queue the event the rule would have sent (README, "Reconciliation").
"""

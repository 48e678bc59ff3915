"""Behavioural checks: the empirical findings the model must reproduce.

``partnerlab validate`` runs them; each measures simulated outcomes and
states its pass condition (``docs/model.md`` lists the findings).
"""

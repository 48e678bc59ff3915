"""Output for people: terminal tables, figures and the self-contained HTML report."""

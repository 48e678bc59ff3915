"""The world both arms of a replication share, and what it is made of.

* ``world``: the population and its starting state (:func:`build_world`);
* ``history``: the year before week 0 (opening pipeline, last year's revenue);
* ``layout``: where each row sits when worlds are stacked (the batching layout);
* ``stacking``: replications and arms joined into one vectorized pass;
* ``subset``: a world of some partners, each seeing what it saw;
* ``state``, ``pipeline``, ``streams``, ``market``: partner state, open
  deals, named random streams, demand and supply.
"""

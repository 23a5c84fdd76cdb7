"""The model: demography, macro frame, policy parameters, RAP costing, Monte Carlo, fiscal space, the model run."""

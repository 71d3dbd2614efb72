"""Guide prices, price observations, anomalies and promotions (built by the pricing issue).

The app exists from the start so the layout is the design card's; the vehicle prices it will
monitor live on ``inventory.VehicleModel`` and are audited there."""

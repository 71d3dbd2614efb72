"""Weekly unit forecasts per dealer × vehicle model (issue 15, "Forecasts and replenishment").

``calendar``: weeks and the Chinese New Year table and profile; ``methods``: the series
classes, the method chosen per class and the back-test (pure numpy/pandas + statsforecast, no
Django); ``models``: the stored runs, series and forecasts (imported by ``inventory.models``);
``services``: the weekly run (one SQL aggregate in, bulk upserts out); ``selectors``: the
page's and API's reads."""

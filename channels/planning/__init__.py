"""Channel-network planning (issue 14): market capacity per city, demand on H3 cells, Huff
trade areas with a decay fitted to our buyers, overlaps and white spots. The maths is numpy
over arrays of cells and outlets; the services feed it from the tables."""

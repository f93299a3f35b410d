"""Area codes the fixture rows and their expected city_metrics values are keyed by."""

COL, BAD, BRENT, HACKNEY = "E09000001", "E09000002", "E09000005", "E09000012"
RBKC, TOWER, WESTMINSTER, LONDON = "E09000020", "E09000030", "E09000033", "E12000007"

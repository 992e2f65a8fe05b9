// Every test here runs a multi-process cluster (8+ members and MariaDB) on a 2-core machine: two at once starve each
// other's failure detectors and journal replays, so the tests would measure the harness's load, not the product.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

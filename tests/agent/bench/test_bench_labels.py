"""``miniground bench labels`` measures agreement and costs."""

from agent.bench.labels import bench_labels


def test_bench_labels_reports_agreement_and_costs() -> None:
    report = bench_labels(layouts=2, poses=3, rounds=1)
    assert report["object_frames"] == 2 * 3 * 5
    assert 0.0 <= report["agreement"] <= 1.0
    parts = report["geometric_visible_pixels_not"] + report["pixels_visible_geometric_not"]
    assert abs(report["agreement"] + parts - 1.0) < 1e-9
    assert all(v > 0 for v in report["ms_per_call"].values())

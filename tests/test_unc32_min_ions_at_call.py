"""The transport analyses' 'too few ions' rule reads frame_estimates.MIN_IONS when it judges,
as the shell statistics do: carriers copied it at import, so a threshold set on the module was
obeyed by the shells and not by the transport numbers."""
from mda_electrolyte import carriers, frame_estimates


def test_a_threshold_set_on_the_module_is_the_one_the_transport_notes_use(monkeypatch):
    counts = {"Li": 3, "PF6": 3}
    monkeypatch.setattr(frame_estimates, "MIN_IONS", 2)
    assert not carriers.few_ions_notes(counts)
    monkeypatch.setattr(frame_estimates, "MIN_IONS", 10)
    notes = carriers.few_ions_notes(counts)
    assert notes and "fewer than 10 of a species" in notes[0] and "3 Li, 3 PF6" in notes[0]

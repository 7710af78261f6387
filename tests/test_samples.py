"""Every real public sample file (../shared/samples) is recognised, and read or refused clearly.

The samples are third-party files: they are read in place and never copied into the
repository. Per-format facts about each file are asserted in the tests of its importer
(test_import_*.py); this file checks the whole folder, so that a sample added later is
not forgotten.
"""

from __future__ import annotations

import pytest

import rarebom
import rarebom.cli
from rarebom.errors import InputError, InvalidBomError, RarebomError

from .conftest import SAMPLES

#: The format each sample is detected as; None: a file rarebom does not read (a schema,
#: a CAD report, a data-space payload), which must be refused with a clear InputError.
EXPECTED_FORMAT = {
    "catenax__ElectricDrivePassport-2.0.0.json": None,
    "catenax__MandatoryDismantling-2.0.0.json": None,
    "catenax__MaterialForRecycling-1.1.0.json": None,
    "granta_bom1711__compliance-bom.xml": "granta-bom",
    "granta_bom2412__medium-test-bom-2412.xml": "granta-bom",
    "granta_bom2412__sustainability-bom-2412.xml": "granta-bom",
    "granta_schema__BillOfMaterialsEco2412.xsd": None,
    "iec62474_chemsherpa__SHAI_20241029165156_PR1806EZ_001.xml": "iec-62474",
    "iec62474_chemsherpa__SHAI_20241029165808_Touch_light_001.xml": "iec-62474",
    "iec62474_chemsherpa__SHAI_20241030151206_HIJ4567_001.xml": "iec-62474",
    "iec62474_chemsherpa__SHAI_20241030151206_KLM7890_006.xml": "iec-62474",
    "iec62474_chemsherpa__SHAI_20241030151206_LED-001_007.xml": "iec-62474",
    "iec62474_chemsherpa__SHAI_20241030151206_PWBOAD-001_008.xml": "iec-62474",
    "iec62474_chemsherpa__SHAI_20241030151206_screw_009.xml": "iec-62474",
    "iec62474_chemsherpa__SHAI_20241113151403_PSP220407_001.xml": "iec-62474",
    "iec62474_chemsherpa__SHCI_20240920130558_000-000-000_001.xml": "iec-62474",
    "iec62474_chemsherpa__SHCI_20241113144850_000-000-001_001.xml": "iec-62474",
    "iec62474_schema__IEC62474_Schema_X8.21-120240831.xsd": None,
    "openhw_bom__EasyControls_Cubesat_HardwareSetup.md": "csv",
    "openhw_bom__MicroManipulatorStepper_bom.md": "csv",
    "vda231-301__ToggleClamp_SubComponents.example.json": None,
    "vda231-301__Toggle_Clamp_JT_info_report.xml": None,
}


def _samples():
    if not SAMPLES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"real samples not found at {SAMPLES}"))]
    return sorted(p for p in SAMPLES.iterdir() if p.name != "README.md")


def test_every_sample_is_listed_here():
    if not SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {SAMPLES}")
    assert sorted(p.name for p in SAMPLES.iterdir() if p.name != "README.md") == sorted(EXPECTED_FORMAT)


@pytest.mark.parametrize("path", _samples(), ids=lambda p: p.name if p else "absent")
def test_each_sample_is_read_or_refused_with_a_located_reason(path):
    expected = EXPECTED_FORMAT[path.name]
    if expected is None:
        with pytest.raises(InputError) as caught:
            rarebom.load(path)
        error = caught.value
        assert str(path) in str(error)
        if isinstance(error, InvalidBomError):
            assert [f.code for f in error.errors] == ["not-rarebom"], error.errors  # one clear reason, not a schema dump
        return
    try:
        result = rarebom.load(path)
    except RarebomError as exc:  # the test fails with the located findings, not a traceback
        pytest.fail(f"{path.name} did not import: {exc}")
    assert result.format == expected
    assert len(result.bom) > 0 and result.bom.finished_goods
    for finding in result.findings:
        assert finding.location is not None and finding.location.file == str(path), finding
    # Every imported part cites where it came from.
    assert all(part.provenance is not None and part.provenance.file == str(path) for part in result.bom)
    trace = rarebom.trace(result.bom)
    assert trace.results  # the engine takes every imported model


@pytest.mark.parametrize("path", [p for p in _samples() if p is None or EXPECTED_FORMAT.get(p.name)], ids=lambda p: p.name if p else "absent")
def test_convert_keeps_everything_the_model_holds(path, tmp_path, capsys):
    bom = rarebom.load(path).bom
    for suffix in (".json", ".xml"):
        out = tmp_path / f"converted{suffix}"
        assert rarebom.cli.main(["convert", "-q", str(path), str(out)]) == 0
        back = rarebom.load(out)
        assert back.bom == bom  # provenance included: the converted file still cites the declaration
        assert back.format == f"rarebom-{suffix[1:]}"
        assert b'formatVersion="1.1"' in out.read_bytes() or b'"formatVersion": "1.1"' in out.read_bytes()

"""A guest test that fails on purpose (not collected on the host: no test_ prefix).

tests/vm/test_vm_harness.py runs it in the VM to prove that a failing test
in the guest fails the host command.
"""


def test_fails_on_purpose() -> None:
    assert 1 + 1 == 3

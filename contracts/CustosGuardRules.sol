// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The decision rules, pure, so that the SMTChecker harness proves the very code the guard runs.
library CustosGuardRules {
    uint256 internal constant MAX_DELAY = 30 days;

    /// @dev One storage slot per (Safe, hash). `approvedEpoch` is the settings epoch the guardian approved in
    ///      (0: not approved); a new configuration bumps the epoch and so voids every older approval.
    struct Record {
        uint64 scheduledAt;
        uint32 approvedEpoch;
        bool cancelled;
        bool guardChange;
    }

    /// @dev `epoch` is 0 until the Safe first configures the guard; a Safe with epoch 0 passes through.
    struct Settings {
        address guardian;
        uint32 delay;
        uint32 removalDelay;
        uint32 epoch;
    }

    function validSettings(address guardian, uint256 delay, uint256 removalDelay) internal pure returns (bool) {
        return guardian != address(0) && delay <= removalDelay && removalDelay <= MAX_DELAY;
    }

    // The rules take plain values rather than the structs: the SMTChecker proves far more about them that way.

    /// @return pass the transaction may execute now
    /// @return cleared it may also change the guard or its settings (scheduled at least removalDelay ago)
    function decide(
        uint64 scheduledAt,
        uint32 approvedEpoch,
        bool cancelled,
        bool guardChange,
        uint32 delay,
        uint32 removalDelay,
        uint32 epoch,
        uint256 time
    ) internal pure returns (bool pass, bool cleared) {
        if (cancelled) return (false, false);
        bool scheduled = scheduledAt != 0;
        cleared = scheduled && time >= uint256(scheduledAt) + removalDelay;
        // A guard change always waits removalDelay, approved or not.
        bool ready = scheduled && time >= uint256(scheduledAt) + (guardChange ? removalDelay : delay);
        bool approved = !guardChange && epoch != 0 && approvedEpoch == epoch;
        pass = ready || approved;
    }

    /// @dev Only a record that was scheduled by owners' signatures, is not a guard change and is still live can
    ///      be cancelled: the guardian can never block the owners' way out.
    function cancellable(uint64 scheduledAt, bool cancelled, bool guardChange) internal pure returns (bool) {
        return scheduledAt != 0 && !guardChange && !cancelled;
    }

    function approvable(bool cancelled) internal pure returns (bool) {
        return !cancelled;
    }

    /// @dev Only a transaction never seen and never cancelled can be scheduled: a cancelled hash stays cancelled
    ///      and nobody can restart the clock of a pending one.
    function schedulable(uint64 scheduledAt, bool cancelled) internal pure returns (bool) {
        return scheduledAt == 0 && !cancelled;
    }

    /// @dev The canonical rejection that burns a nonce. `noGas` says every gas field (safeTxGas, baseGas, gasPrice,
    ///      gasToken, refundReceiver) is zero: a refund paid in a token would otherwise turn this always-open door
    ///      into a way to pay anyone from the Safe.
    function isRejection(address safe, address to, uint256 value, uint256 dataLength, uint8 operation, bool noGas)
        internal
        pure
        returns (bool)
    {
        return to == safe && value == 0 && dataLength == 0 && operation == 0 && noGas;
    }

    /// @dev An uncleared transaction may leave a guard slot as it found it or point it at this guard, nothing else.
    function slotKept(bytes32 before, bytes32 afterwards, bytes32 self) internal pure returns (bool) {
        return afterwards == before || afterwards == self;
    }

    /// @dev Who may reconfigure: a Safe never configured; inside guarded transactions, only when every one of the
    ///      Safe's running guarded transactions is cleared; outside them, only while the guard is not the Safe's
    ///      transaction guard (it then has no hold on the Safe's own transactions anyway).
    function mayReconfigure(bool configured, uint256 depth, uint256 uncleared, bool guardActive)
        internal
        pure
        returns (bool)
    {
        if (!configured) return true;
        if (depth != 0) return uncleared == 0;
        return !guardActive;
    }
}

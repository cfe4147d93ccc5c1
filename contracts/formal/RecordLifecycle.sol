// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CustosGuardRules} from "../CustosGuardRules.sol";

// A state-machine harness for solc's SMTChecker (CHC engine), in its own file: CHC decides it far more readily
// when nothing else shares the source unit. Run by test/respond/guard/formal.test.ts.

/// The life of one transaction's record under every sequence of schedule, approve, revoke, cancel, reconfigure and
/// execute calls, at arbitrary times and with arbitrary valid delays: once cancelled it stays cancelled and never
/// executes, and a guard change is never cancelled. Mirrors CustosGuard's transitions, with the same rules.
contract RecordLifecycle {
    uint64 internal scheduledAt;
    uint32 internal approvedEpoch;
    bool internal cancelled;
    bool internal guardChange;
    uint32 internal epoch = 1;
    bool internal everCancelled;

    function schedule(uint64 time, bool isGuardChange) external {
        require(time != 0);
        require(CustosGuardRules.schedulable(scheduledAt, cancelled));
        scheduledAt = time;
        guardChange = isGuardChange;
    }

    function approve() external {
        require(CustosGuardRules.approvable(cancelled));
        approvedEpoch = epoch;
    }

    function revoke() external {
        approvedEpoch = 0;
    }

    function cancel() external {
        require(CustosGuardRules.cancellable(scheduledAt, cancelled, guardChange));
        cancelled = true;
        approvedEpoch = 0;
        everCancelled = true;
    }

    function reconfigure() external {
        require(epoch < type(uint32).max);
        epoch += 1;
    }

    function execute(uint32 delay, uint32 removalDelay, uint256 time) external {
        require(delay <= removalDelay);
        (bool pass,) = CustosGuardRules.decide(
            scheduledAt, approvedEpoch, cancelled, guardChange, delay, removalDelay, epoch, time
        );
        require(pass);
        assert(!everCancelled);
        // Used up.
        scheduledAt = 0;
        approvedEpoch = 0;
        guardChange = false;
    }

    function invariants() external view {
        if (cancelled) assert(scheduledAt != 0 && !guardChange && approvedEpoch == 0);
        if (everCancelled) assert(cancelled);
        if (guardChange) assert(scheduledAt != 0 && !cancelled);
    }
}

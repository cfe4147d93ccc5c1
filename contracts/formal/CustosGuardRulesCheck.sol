// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CustosGuardRules} from "../CustosGuardRules.sol";

// Properties of the custos Guard's rules for solc's SMTChecker (CHC engine, assertion targets), run by
// test/respond/guard/formal.test.ts. Each property is its own contract (CHC is much faster on small contracts) and
// takes arbitrary inputs, so an assert proved safe holds for every record, settings and time. The rules are
// CustosGuard's own library.

/// A cancelled transaction never passes, whatever the guardian approved and however long it waited.
contract CancelledNeverPasses {
    function check(uint64 at, uint32 a, bool g, uint32 d, uint32 rd, uint32 e, uint256 t) external pure {
        (bool pass, bool cleared) = CustosGuardRules.decide(at, a, true, g, d, rd, e, t);
        assert(!pass && !cleared);
    }
}

/// Without the guardian's approval in the current configuration, nothing passes before it was scheduled `delay`
/// ago (an approval from an earlier configuration counts as none).
contract NothingEarlyUnlessApproved {
    function check(uint64 at, uint32 a, bool c, bool g, uint32 d, uint32 rd, uint32 e, uint256 t) external pure {
        require(a != e || e == 0);
        require(d <= rd);
        (bool pass,) = CustosGuardRules.decide(at, a, c, g, d, rd, e, t);
        if (pass) assert(at != 0 && t >= uint256(at) + d);
    }
}

/// A guard change passes only after removalDelay, approved or not: the guardian cannot let it through early.
contract GuardChangeWaitsRemovalDelay {
    function check(uint64 at, uint32 a, uint32 d, uint32 rd, uint32 e, uint256 t) external pure {
        (bool pass, bool cleared) = CustosGuardRules.decide(at, a, false, true, d, rd, e, t);
        if (pass || cleared) assert(at != 0 && t >= uint256(at) + rd);
    }
}

/// Only a transaction scheduled removalDelay ago and not cancelled is cleared to touch the guard; a cleared one
/// passes.
contract ClearedMeansScheduledLongEnough {
    function check(uint64 at, uint32 a, bool c, bool g, uint32 d, uint32 rd, uint32 e, uint256 t) external pure {
        require(d <= rd);
        (bool pass, bool cleared) = CustosGuardRules.decide(at, a, c, g, d, rd, e, t);
        if (cleared) assert(pass && at != 0 && !c && t >= uint256(at) + rd);
    }
}

/// Never a brick: whatever the guardian approved, a scheduled, uncancelled transaction passes and is cleared once
/// removalDelay has gone by, and the guardian cannot cancel a guard change.
contract OwnersCanAlwaysLeave {
    function check(uint64 at, uint32 a, bool g, uint32 d, uint32 rd, uint32 e, uint256 t) external pure {
        require(d <= rd);
        require(at != 0 && t >= uint256(at) + rd);
        (bool pass, bool cleared) = CustosGuardRules.decide(at, a, false, g, d, rd, e, t);
        assert(pass && cleared);
        if (g) assert(!CustosGuardRules.cancellable(at, false, g));
    }
}

/// With a silent guardian every scheduled, uncancelled transaction passes once its delay has gone by.
contract SilentGuardianOnlyDelays {
    function check(uint64 at, bool g, uint32 d, uint32 rd, uint32 e, uint256 t) external pure {
        require(at != 0 && t >= uint256(at) + (g ? rd : d));
        (bool pass,) = CustosGuardRules.decide(at, 0, false, g, d, rd, e, t);
        assert(pass);
    }
}

/// Only a scheduled, live, non-guard-change record can be cancelled; only a fresh one can be scheduled (a
/// cancelled hash never again, a pending one's clock never restarted); a cancelled one cannot be approved.
contract Lifecycle {
    function check(uint64 at, bool c, bool g) external pure {
        if (CustosGuardRules.cancellable(at, c, g)) assert(at != 0 && !g && !c);
        if (CustosGuardRules.schedulable(at, c)) assert(at == 0 && !c);
        if (CustosGuardRules.approvable(c)) assert(!c);
    }
}

/// The rejection is exactly: to the Safe, no value, no data, CALL, no gas fields.
contract RejectionIsCanonical {
    function check(address safe, address to, uint256 value, uint256 dataLength, uint8 op, bool noGas) external pure {
        if (CustosGuardRules.isRejection(safe, to, value, dataLength, op, noGas)) {
            assert(to == safe && value == 0 && dataLength == 0 && op == 0 && noGas);
        }
    }
}

/// Settings the guard accepts have a guardian and keep delay <= removalDelay <= 30 days.
contract SettingsBounds {
    function check(address guardian, uint256 d, uint256 rd) external pure {
        if (CustosGuardRules.validSettings(guardian, d, rd)) assert(guardian != address(0) && d <= rd && rd <= 30 days);
    }
}

/// Inside running guarded transactions of the Safe, an active guard is reconfigured only when every one of them is
/// cleared; outside them, never while the guard is the Safe's transaction guard.
contract ReconfigureNeedsClearance {
    function check(uint256 depth, uint256 uncleared, bool guardActive) external pure {
        if (CustosGuardRules.mayReconfigure(true, depth, uncleared, guardActive)) {
            if (depth != 0) assert(uncleared == 0);
            else assert(!guardActive);
        }
    }
}

/// An uncleared transaction leaves each guard slot as it found it or points it at the guard.
contract SlotsKept {
    function check(bytes32 before, bytes32 afterwards, bytes32 self) external pure {
        if (CustosGuardRules.slotKept(before, afterwards, self)) assert(afterwards == before || afterwards == self);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Attacks on the custos Guard for the lab tests, never deployed anywhere else. Each runs as the body of a Safe
// transaction (DELEGATECALL, every gas field zero), so it acts as the Safe itself: it calls the guard's hooks as the
// Safe would, and writes the Safe's storage.

interface IGuardHooks {
    function checkTransaction(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address refundReceiver,
        bytes calldata signatures,
        address msgSender
    ) external;

    function checkAfterExecution(bytes32 hash, bool success) external;
}

interface ISafeHash {
    function nonce() external view returns (uint256);

    function getTransactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address refundReceiver,
        uint256 nonce
    ) external view returns (bytes32);
}

abstract contract SafeBody {
    bytes32 internal constant GUARD_SLOT = 0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8;

    /// The safeTxHash of a zero-gas CALL or DELEGATECALL from this Safe at its running transaction's nonce.
    function hashAtRunningNonce(address to, bytes memory data, uint8 operation) internal view returns (bytes32) {
        uint256 nonce = ISafeHash(address(this)).nonce() - 1;
        return ISafeHash(address(this))
            .getTransactionHash(to, 0, data, operation, 0, 0, 0, address(0), address(0), nonce);
    }

    function clearGuardSlot() internal {
        assembly {
            sstore(GUARD_SLOT, 0)
        }
    }
}

/// Pops its own guard frame early by calling checkAfterExecution itself, clears the Safe's guard slot, and pushes
/// a harmless frame in its place (the rejection at the running nonce always passes), hoping the real after-hook
/// pops that one instead. `self` is this contract's address (the transaction's `to`), which DELEGATECALL hides.
contract PopOwnFrameThenUnguard is SafeBody {
    function run(address guard, address self) external {
        IGuardHooks(guard).checkAfterExecution(hashAtRunningNonce(self, msg.data, 1), true);
        clearGuardSlot();
        IGuardHooks(guard).checkTransaction(address(this), 0, "", 0, 0, 0, 0, address(0), address(0), "", address(0));
    }
}

/// Borrows the clearance of another transaction at the same nonce (to, data: a zero-gas CALL scheduled long ago)
/// by running checkTransaction for it itself, then uses it: `configure` calls the guard as the Safe with that
/// calldata, or else the guard slot is cleared; finally it pops the borrowed frame.
contract BorrowClearance is SafeBody {
    function run(address guard, address to, bytes calldata data, bytes calldata configure) external {
        IGuardHooks(guard).checkTransaction(to, 0, data, 0, 0, 0, 0, address(0), address(0), "", address(0));
        if (configure.length > 0) {
            (bool ok, bytes memory reason) = guard.call(configure);
            if (!ok) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
        } else {
            clearGuardSlot();
        }
        IGuardHooks(guard).checkAfterExecution(hashAtRunningNonce(to, data, 0), true);
    }
}

/// Clears the Safe's guard slot directly (a removal that is neither a setGuard call nor uncancellable).
contract ClearGuardSlot is SafeBody {
    function run() external {
        clearGuardSlot();
    }
}

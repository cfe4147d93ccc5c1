// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// A transaction guard that does nothing, for the gas bench only: what a Safe pays to call any guard at all (a
/// cold call carrying checkTransaction's eleven ABI-encoded arguments, signatures included, and the
/// checkAfterExecution call; the Safe reads its guard slot whether a guard is set or not), measured apart from what
/// the custos Guard's own rules cost. Every hook lands in the fallback, so not even the arguments are decoded.
contract NoopGuard {
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0xe6d7a83a // ITransactionGuard (Guard before 1.5.0)
            || interfaceId == 0x58401ed8 // IModuleGuard
            || interfaceId == 0x01ffc9a7; // IERC165
    }

    fallback() external {}
}

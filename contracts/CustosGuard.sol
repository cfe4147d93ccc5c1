// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CustosGuardRules} from "./CustosGuardRules.sol";

/// @notice The Safe functions the guard reads. Every one is `view`, so the guard reaches the Safe only
///         through STATICCALL: no Safe, real or fake, can re-enter the guard while it decides.
interface ISafeView {
    function nonce() external view returns (uint256);

    function getTransactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        CustosGuard.Operation operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address refundReceiver,
        uint256 nonce
    ) external view returns (bytes32);

    function domainSeparator() external view returns (bytes32);

    /// @dev 1.3.0 and 1.4.1 check EIP-1271 owners against `data`; 1.5.0 ignores it (legacy entry point).
    function checkSignatures(bytes32 dataHash, bytes calldata data, bytes calldata signatures) external view;
}

/// @title CustosGuard
/// @notice One guard per chain for any number of Safes (1.3.0, 1.4.1, 1.5.0): a transaction guard, and a module
///         guard on 1.5.0. A Safe that configured it executes a transaction only if
///           1. its guardian approved the safeTxHash, or
///           2. anyone scheduled it with the owners' signatures at least `delay` ago and the guardian did not cancel
///              it, or
///           3. it is the canonical rejection (to the Safe itself, no value, no data, CALL, every gas field zero).
///         Changing or removing the guard and changing the settings pass only when scheduled `removalDelay` ago;
///         the guardian can neither approve them early nor cancel them, so a lost or hostile guardian delays the
///         owners, never locks them out. A Safe that never configured the guard passes through unchanged.
/// @dev Design notes (the why; docs/guard.md has the threat model):
///      - Settings are keyed by msg.sender and written only by `configure`, so only the Safe itself changes them.
///      - The guard reaches the Safe only through STATICCALL (ISafeView), so nothing re-enters it while it decides.
///      - checkTransaction hashes locally at nonce - 1 (the Safe increments its nonce before calling the guard)
///        and falls back to the Safe's own getTransactionHash when that finds nothing that passes, so a Safe that
///        hashes differently is slower, never locked.
///      - Guard changes are caught by their effect, not by their calldata: after a DELEGATECALL or a call to the
///        Safe itself, the guard reads the Safe's guard slots back and reverts if they changed without clearance;
///        `configure` on an active guard needs clearance from every running guarded transaction of the Safe.
///      - Each hook pushes a frame (hash, flags) on a per-Safe stack in transient storage (EIP-1153: Cancun or
///        later) and its after-hook must pop exactly that frame. Code run by a transaction can call the hooks
///        itself, as the Safe; popping its own frame early then makes the real after-hook revert, and it cannot
///        push a cleared frame: a second check at the same nonce finds no record that passes.
///      - The hooks run on every guarded transaction, so they read and write raw words (settings, record, frame
///        stack) rather than memory structs; docs/guard.md ("Gas") says where their gas goes.
contract CustosGuard {
    enum Operation {
        Call,
        DelegateCall
    }

    struct SafeTx {
        address to;
        uint256 value;
        bytes data;
        Operation operation;
        uint256 safeTxGas;
        uint256 baseGas;
        uint256 gasPrice;
        address gasToken;
        address refundReceiver;
        uint256 nonce;
    }

    struct Status {
        bool approved;
        bool scheduled;
        bool cancelled;
        bool guardChange;
        uint64 scheduledAt;
        /// @dev When a scheduled transaction may run (removalDelay for a guard change); 0 when not scheduled.
        uint64 executableAt;
        /// @dev When a scheduled transaction may also change the guard or its settings; 0 when not scheduled.
        uint64 clearedAt;
    }

    string public constant VERSION = "1.0.0";

    /// @dev Internal, as every bound is: each public function whose selector sorts below a hook's costs every
    ///      guarded transaction a comparison in the dispatcher. Delays are bounded by CustosGuardRules.MAX_DELAY.
    uint256 internal constant MAX_ALLOWLIST = 32;

    /// @dev keccak256("guard_manager.guard.address") and keccak256("module_manager.module_guard.address").
    bytes32 internal constant GUARD_SLOT = 0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8;
    bytes32 internal constant MODULE_GUARD_SLOT = 0xb104e0b93118902c651344349b610029d694cfdec91c589c91ebafbcd0289947;

    bytes32 internal constant DOMAIN_SEPARATOR_TYPEHASH =
        keccak256("EIP712Domain(uint256 chainId,address verifyingContract)");
    bytes32 internal constant SAFE_TX_TYPEHASH = keccak256(
        "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
    );
    bytes32 internal constant MODULE_CALL_TYPEHASH =
        keccak256("CustosModuleCall(address safe,address module,address to,uint256 value,bytes data,uint8 operation)");

    // Frame flags. PASS: the Safe was not configured when the hook ran (nothing to enforce, nothing to match).
    uint256 internal constant PASS = 1;
    uint256 internal constant CLEARED = 2;
    uint256 internal constant CHECK_SLOTS = 4;
    uint256 internal constant MODULE = 8;
    /// @dev A Safe's frame stack lives in transient storage from its base, safe << 96, so no two Safes share a
    ///      key. The stack word at the base holds the depth (bits 0-63), the number of uncleared frames (64-127)
    ///      and the top frame's flags (from bit 128). Frame d lives at base + 4d: its hash, its flags while a
    ///      frame above it is on top, and the other guard slot as found (see _push).
    uint256 internal constant COUNT_MASK = type(uint64).max;

    address private immutable SELF;

    mapping(address safe => CustosGuardRules.Settings) internal _settings;
    mapping(address safe => mapping(bytes32 hash => CustosGuardRules.Record)) internal _records;
    mapping(address safe => address[]) internal _allowlist;
    mapping(address safe => mapping(address module => uint32 epoch)) internal _allowedIn;

    event Configured(
        address indexed safe,
        address indexed guardian,
        uint32 delay,
        uint32 removalDelay,
        address[] moduleAllowlist,
        uint32 epoch
    );
    event Scheduled(
        address indexed safe, bytes32 indexed safeTxHash, SafeTx safeTx, uint64 executableAt, bool guardChange
    );
    event Approved(address indexed safe, bytes32 indexed hash, uint32 epoch);
    event Revoked(address indexed safe, bytes32 indexed hash);
    event Cancelled(address indexed safe, bytes32 indexed safeTxHash);
    /// @dev Whether the inner call succeeded is the Safe's own ExecutionSuccess/ExecutionFailure, same hash.
    event Executed(address indexed safe, bytes32 indexed safeTxHash);
    event ModuleExecuted(address indexed safe, bytes32 indexed callHash, bool success);

    error DelegateCallForbidden();
    error InvalidSettings();
    error NotConfigured(address safe);
    error NotGuardian(address caller);
    error ReconfigureNotCleared(address safe);
    error StaleNonce(uint256 nonce, uint256 safeNonce);
    error RejectionNeedsNoSchedule();
    error AlreadyScheduled(bytes32 safeTxHash);
    error NotScheduled(bytes32 hash);
    error NotApproved(bytes32 hash);
    error Uncancellable(bytes32 safeTxHash);
    error CancelledTx(bytes32 safeTxHash);
    error NotAllowed(bytes32 safeTxHash);
    error ModuleNotAllowed(address module, bytes32 callHash);
    error GuardChangeNotCleared(address safe);
    error HookMismatch(address safe);

    constructor() {
        SELF = address(this);
    }

    /// @dev Run through DELEGATECALL the guard's code would write into the caller's storage: refused everywhere.
    modifier onlyCall() {
        if (address(this) != SELF) revert DelegateCallForbidden();
        _;
    }

    modifier onlyGuardian(address safe) {
        if (_settings[safe].epoch == 0) revert NotConfigured(safe);
        if (msg.sender != _settings[safe].guardian) revert NotGuardian(msg.sender);
        _;
    }

    // ------------------------------------------------------------------------------------------------------------
    // The Safe's own settings

    /// @notice Sets the caller's settings. The first call is free; once the guard is the caller's transaction
    ///         guard, only a Safe transaction scheduled at least removalDelay ago may call it.
    function configure(address guardian, uint32 delay, uint32 removalDelay, address[] calldata moduleAllowlist)
        external
        onlyCall
    {
        if (!CustosGuardRules.validSettings(guardian, delay, removalDelay) || moduleAllowlist.length > MAX_ALLOWLIST) {
            revert InvalidSettings();
        }
        uint32 epoch = _settings[msg.sender].epoch;
        uint256 stack = _tload(_stackBase(msg.sender));
        if (!CustosGuardRules.mayReconfigure(
                epoch != 0,
                stack & COUNT_MASK,
                (stack >> 64) & COUNT_MASK,
                epoch != 0 && stack & COUNT_MASK == 0 && _readSlot(msg.sender, GUARD_SLOT) == _self()
            )) revert ReconfigureNotCleared(msg.sender);
        epoch += 1;
        _settings[msg.sender] = CustosGuardRules.Settings(guardian, delay, removalDelay, epoch);
        delete _allowlist[msg.sender];
        for (uint256 i = 0; i < moduleAllowlist.length; ++i) {
            if (moduleAllowlist[i] == address(0)) revert InvalidSettings();
            _allowedIn[msg.sender][moduleAllowlist[i]] = epoch;
            _allowlist[msg.sender].push(moduleAllowlist[i]);
        }
        emit Configured(msg.sender, guardian, delay, removalDelay, moduleAllowlist, epoch);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Owners (through anyone) and the guardian

    /// @notice Starts the clock of a Safe transaction: anyone may call it with the owners' signatures, which the
    ///         Safe itself checks for exactly this transaction.
    function schedule(address safe, SafeTx calldata t, bytes calldata signatures)
        external
        onlyCall
        returns (bytes32 safeTxHash)
    {
        CustosGuardRules.Settings memory s = _settings[safe];
        if (s.epoch == 0) revert NotConfigured(safe);
        uint256 safeNonce = ISafeView(safe).nonce();
        if (t.nonce < safeNonce) revert StaleNonce(t.nonce, safeNonce);
        if (_isRejectionTx(safe, t)) revert RejectionNeedsNoSchedule();
        safeTxHash = _scheduledHash(safe, t);
        CustosGuardRules.Record memory r = _records[safe][safeTxHash];
        if (!CustosGuardRules.schedulable(r.scheduledAt, r.cancelled)) {
            if (r.cancelled) revert CancelledTx(safeTxHash);
            revert AlreadyScheduled(safeTxHash);
        }
        ISafeView(safe).checkSignatures(safeTxHash, _preimage(safe, t), signatures);
        r.scheduledAt = uint64(block.timestamp);
        r.guardChange = _isGuardChange(safe, t);
        _records[safe][safeTxHash] = r;
        emit Scheduled(
            safe, safeTxHash, t, uint64(block.timestamp + (r.guardChange ? s.removalDelay : s.delay)), r.guardChange
        );
    }

    /// @notice The fast path: the guardian lets one Safe transaction (or, on 1.5.0, one module call) run now.
    ///         It lets nothing run that the owners did not sign: the Safe still checks their signatures.
    function approve(address safe, bytes32 hash) external onlyCall onlyGuardian(safe) {
        CustosGuardRules.Record memory r = _records[safe][hash];
        if (!CustosGuardRules.approvable(r.cancelled)) revert CancelledTx(hash);
        uint32 epoch = _settings[safe].epoch;
        _records[safe][hash].approvedEpoch = epoch;
        emit Approved(safe, hash, epoch);
    }

    function revoke(address safe, bytes32 hash) external onlyCall onlyGuardian(safe) {
        CustosGuardRules.Record memory r = _records[safe][hash];
        if (r.approvedEpoch == 0 || r.approvedEpoch != _settings[safe].epoch) revert NotApproved(hash);
        _records[safe][hash].approvedEpoch = 0;
        emit Revoked(safe, hash);
    }

    /// @notice Stops a scheduled transaction for good. A guard change cannot be cancelled.
    function cancel(address safe, bytes32 safeTxHash) external onlyCall onlyGuardian(safe) {
        CustosGuardRules.Record memory r = _records[safe][safeTxHash];
        if (!CustosGuardRules.cancellable(r.scheduledAt, r.cancelled, r.guardChange)) {
            if (r.scheduledAt == 0) revert NotScheduled(safeTxHash);
            if (r.cancelled) revert CancelledTx(safeTxHash);
            revert Uncancellable(safeTxHash);
        }
        r.cancelled = true;
        r.approvedEpoch = 0;
        _records[safe][safeTxHash] = r;
        emit Cancelled(safe, safeTxHash);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Transaction guard (Safe 1.3.0, 1.4.1, 1.5.0)

    /// @dev msg.sender is the Safe (anyone else only ever reads and writes its own entries); `msgSender`, the
    ///      account that called execTransaction, grants nothing: anyone may execute. The arguments are read from
    ///      the calldata head (see _localHash), where the ABI decoder has validated them.
    function checkTransaction(
        address,
        uint256,
        bytes calldata data,
        Operation,
        uint256,
        uint256,
        uint256,
        address,
        address payable,
        bytes calldata,
        address
    ) external onlyCall {
        uint256 settings = _settingsWord(msg.sender);
        if (_epoch(settings) == 0) {
            _push(msg.sender, 0, PASS);
            return;
        }
        uint256 nonce = _safeNonce(msg.sender) - 1;
        if (_hookIsRejection(msg.sender, data.length)) {
            _push(msg.sender, _safeHash(msg.sender, data, nonce), 0);
            return;
        }
        (bytes32 h, bool cleared) = _admit(msg.sender, data, nonce, settings);
        (address to, uint256 operation) = _hookTarget();
        if (cleared) _push(msg.sender, h, CLEARED);
        else if (operation == uint256(Operation.DelegateCall) || to == msg.sender) _push(msg.sender, h, CHECK_SLOTS);
        else _push(msg.sender, h, 0);
    }

    /// @dev Finds the record that lets the transaction run (reverts if none), by the local hash first and by the
    ///      Safe's own hash when that finds nothing that passes, and uses it up.
    function _admit(address safe, bytes calldata data, uint256 nonce, uint256 settings)
        internal
        returns (bytes32 h, bool cleared)
    {
        h = _localHash(safe, data, nonce);
        uint256 slot = _recordSlot(safe, h);
        uint256 r = _sload(slot);
        bool pass;
        (pass, cleared) = _decide(r, settings);
        if (!pass) {
            bytes32 safeHash = _safeHash(safe, data, nonce);
            if (safeHash != h) {
                h = safeHash;
                slot = _recordSlot(safe, h);
                r = _sload(slot);
                (pass, cleared) = _decide(r, settings);
            }
            if (!pass) {
                if (_cancelled(r)) revert CancelledTx(h);
                revert NotAllowed(h);
            }
        }
        // Used up: the nonce makes the hash unrepeatable, and clearing the slot refunds most of its cost.
        _sstore(slot, 0);
    }

    /// @dev CustosGuardRules.decide on a record word and a settings word (layouts at _recordSlot, _settingsWord).
    function _decide(uint256 r, uint256 settings) internal view returns (bool pass, bool cleared) {
        return CustosGuardRules.decide(
            uint64(r),
            uint32(r >> 64),
            _cancelled(r),
            uint8(r >> 104) != 0,
            uint32(settings >> 160),
            uint32(settings >> 192),
            _epoch(settings),
            block.timestamp
        );
    }

    function checkAfterExecution(bytes32 hash, bool) external onlyCall {
        if (_pop(msg.sender, hash, 0) & PASS == 0) emit Executed(msg.sender, hash);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Module guard (Safe 1.5.0)

    /// @dev A module transaction passes if its module is on the Safe's allowlist, or if the guardian approved that
    ///      exact call (moduleCallHash), once. It is never cleared: it cannot change the guard or its settings.
    function checkModuleTransaction(address to, uint256 value, bytes calldata data, Operation operation, address module)
        external
        onlyCall
        returns (bytes32 moduleTxHash)
    {
        CustosGuardRules.Settings memory s = _settings[msg.sender];
        if (s.epoch == 0) {
            _push(msg.sender, 0, PASS | MODULE);
            return bytes32(0);
        }
        moduleTxHash = moduleCallHash(msg.sender, module, to, value, data, operation);
        if (_allowedIn[msg.sender][module] != s.epoch) {
            CustosGuardRules.Record memory r = _records[msg.sender][moduleTxHash];
            if (r.cancelled || r.guardChange || r.approvedEpoch != s.epoch) revert ModuleNotAllowed(module, moduleTxHash);
            delete _records[msg.sender][moduleTxHash];
        }
        bool touchesSafe = operation == Operation.DelegateCall || to == msg.sender;
        _push(msg.sender, moduleTxHash, touchesSafe ? MODULE | CHECK_SLOTS : MODULE);
    }

    function checkAfterModuleExecution(bytes32 txHash, bool success) external onlyCall {
        if (_pop(msg.sender, txHash, MODULE) & PASS == 0) emit ModuleExecuted(msg.sender, txHash, success);
    }

    // ------------------------------------------------------------------------------------------------------------
    // The frame stack

    /// @dev A frame that checks the guard slots stores the one its hook was not called through as found: the
    ///      Safe calls checkTransaction through its guard slot and checkModuleTransaction through its module guard
    ///      slot, which therefore hold this guard (code calling a hook itself is held to that, which is stricter).
    function _push(address safe, bytes32 hash, uint256 flags) internal {
        uint256 base = _stackBase(safe);
        uint256 stack = _tload(base);
        uint256 depth = stack & COUNT_MASK;
        uint256 uncleared = (stack >> 64) & COUNT_MASK;
        // Unchecked: the call depth limit keeps both counts far below 2^64, and 4 * depth + 3 below 2^96.
        unchecked {
            // The frame below keeps its flags in its own slot while this one is on top.
            if (depth != 0) _tstore(base + 4 * depth + 1, stack >> 128);
            depth += 1;
            if (flags & CLEARED == 0) uncleared += 1;
        }
        _tstore(base, depth | (uncleared << 64) | (flags << 128));
        uint256 frame = base + 4 * depth;
        _tstore(frame, uint256(hash));
        if (flags & CHECK_SLOTS != 0) {
            _tstore(frame + 2, uint256(_readSlot(safe, flags & MODULE == 0 ? MODULE_GUARD_SLOT : GUARD_SLOT)));
        }
    }

    /// @dev Pops the top frame, which must be the one this after-hook's check pushed (same hash and kind); a
    ///      PASS frame carries no protection and matches any after-hook of its kind.
    function _pop(address safe, bytes32 hash, uint256 kind) internal returns (uint256 flags) {
        uint256 base = _stackBase(safe);
        uint256 stack = _tload(base);
        uint256 depth = stack & COUNT_MASK;
        if (depth == 0) revert HookMismatch(safe);
        flags = stack >> 128;
        if (flags & MODULE != kind) revert HookMismatch(safe);
        uint256 frame;
        unchecked {
            frame = base + 4 * depth;
        }
        if (flags & PASS == 0 && bytes32(_tload(frame)) != hash) revert HookMismatch(safe);
        if (flags & CHECK_SLOTS != 0) {
            bytes32 self = _self();
            bytes32 other = bytes32(_tload(frame + 2));
            (bytes32 guardBefore, bytes32 moduleGuardBefore) = kind == 0 ? (self, other) : (other, self);
            if (
                !CustosGuardRules.slotKept(guardBefore, _readSlot(safe, GUARD_SLOT), self)
                    || !CustosGuardRules.slotKept(moduleGuardBefore, _readSlot(safe, MODULE_GUARD_SLOT), self)
            ) revert GuardChangeNotCleared(safe);
        }
        // Checked: a count that would go below zero means a broken stack, and reverts.
        uint256 uncleared = ((stack >> 64) & COUNT_MASK) - (flags & CLEARED == 0 ? 1 : 0);
        uint256 below;
        unchecked {
            depth -= 1;
            if (depth != 0) below = _tload(base + 4 * depth + 1);
        }
        _tstore(base, depth | (uncleared << 64) | (below << 128));
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views

    function settings(address safe)
        external
        view
        returns (address guardian, uint32 delay, uint32 removalDelay, uint32 epoch, address[] memory moduleAllowlist)
    {
        CustosGuardRules.Settings memory s = _settings[safe];
        return (s.guardian, s.delay, s.removalDelay, s.epoch, _allowlist[safe]);
    }

    /// @notice What the guard knows of a hash. An executed transaction leaves no record (its nonce makes it
    ///         unrepeatable); the Executed event marks it.
    function status(address safe, bytes32 hash) external view returns (Status memory st) {
        CustosGuardRules.Record memory r = _records[safe][hash];
        CustosGuardRules.Settings memory s = _settings[safe];
        st.approved = s.epoch != 0 && r.approvedEpoch == s.epoch && !r.cancelled && !r.guardChange;
        st.scheduled = r.scheduledAt != 0;
        st.cancelled = r.cancelled;
        st.guardChange = r.guardChange;
        st.scheduledAt = r.scheduledAt;
        if (st.scheduled) {
            st.executableAt = r.scheduledAt + (r.guardChange ? s.removalDelay : s.delay);
            st.clearedAt = r.scheduledAt + s.removalDelay;
        }
    }

    /// @notice The hash the guardian approves to let one module call through on Safe 1.5.0.
    function moduleCallHash(
        address safe,
        address module,
        address to,
        uint256 value,
        bytes calldata data,
        Operation operation
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(MODULE_CALL_TYPEHASH, safe, module, to, value, keccak256(data), operation));
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0xe6d7a83a // ITransactionGuard (Guard before 1.5.0)
            || interfaceId == 0x58401ed8 // IModuleGuard
            || interfaceId == 0x01ffc9a7; // IERC165
    }

    /// @dev A later Safe may call hooks this guard does not know; accepting them keeps such a Safe usable
    ///      (the owners can still schedule the guard's removal) instead of locking it.
    fallback() external {}

    // ------------------------------------------------------------------------------------------------------------
    // Internals

    /// @dev A single call that changes the guard, the module guard or the settings, with every gas field zero so
    ///      that it cannot also pay anyone: the forms owners use to leave, which the guardian cannot cancel.
    function _isGuardChange(address safe, SafeTx calldata t) internal view returns (bool) {
        if (
            t.operation != Operation.Call || t.value != 0 || t.safeTxGas != 0 || t.baseGas != 0 || t.gasPrice != 0
                || t.gasToken != address(0) || t.refundReceiver != address(0) || t.data.length < 4
        ) return false;
        bytes4 selector = bytes4(t.data[:4]);
        if (t.to == safe) {
            // setGuard(address), setModuleGuard(address)
            return t.data.length == 36 && (selector == 0xe19a9dd9 || selector == 0xe068df37);
        }
        return t.to == address(this) && selector == this.configure.selector;
    }

    /// @dev Scheduling is not gas-critical: it asks the Safe itself, whatever its hashing.
    function _scheduledHash(address safe, SafeTx calldata t) internal view returns (bytes32) {
        return ISafeView(safe).getTransactionHash(
            t.to, t.value, t.data, t.operation, t.safeTxGas, t.baseGas, t.gasPrice, t.gasToken, t.refundReceiver, t.nonce
        );
    }

    function _isRejectionTx(address safe, SafeTx calldata t) internal pure returns (bool) {
        bool noGas = t.safeTxGas == 0 && t.baseGas == 0 && t.gasPrice == 0 && t.gasToken == address(0)
            && t.refundReceiver == address(0);
        return CustosGuardRules.isRejection(safe, t.to, t.value, t.data.length, uint8(t.operation), noGas);
    }

    /// @dev isRejection for checkTransaction's arguments, read from its calldata head.
    function _hookIsRejection(address safe, uint256 dataLength) internal pure returns (bool) {
        uint256 to;
        uint256 value;
        uint256 operation;
        uint256 gasBits;
        assembly ("memory-safe") {
            to := calldataload(0x04)
            value := calldataload(0x24)
            operation := calldataload(0x64)
            // safeTxGas | baseGas | gasPrice | gasToken | refundReceiver
            gasBits := or(
                or(or(calldataload(0x84), calldataload(0xa4)), or(calldataload(0xc4), calldataload(0xe4))),
                calldataload(0x104)
            )
        }
        return CustosGuardRules.isRejection(safe, address(uint160(to)), value, dataLength, uint8(operation), gasBits == 0);
    }

    /// @dev checkTransaction's `to` and `operation`, from its calldata head.
    function _hookTarget() internal pure returns (address to, uint256 operation) {
        assembly ("memory-safe") {
            to := calldataload(0x04)
            operation := calldataload(0x64)
        }
    }

    /// @dev The safeTxHash of checkTransaction's arguments at `nonce`, as Safe 1.3.0 to 1.5.0 compute it. Its
    ///      calldata head holds to, value, data offset, operation, safeTxGas, baseGas, gasPrice, gasToken and
    ///      refundReceiver at fixed places, already validated by the ABI decoder.
    function _localHash(address safe, bytes calldata data, uint256 nonce) internal view returns (bytes32 h) {
        bytes32 txTypeHash = SAFE_TX_TYPEHASH;
        bytes32 domainTypeHash = DOMAIN_SEPARATOR_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, data.offset, data.length)
            let dataHash := keccak256(ptr, data.length)
            mstore(ptr, txTypeHash)
            calldatacopy(add(ptr, 0x20), 0x04, 0x40) // to, value
            mstore(add(ptr, 0x60), dataHash)
            calldatacopy(add(ptr, 0x80), 0x64, 0xc0) // operation, safeTxGas, baseGas, gasPrice, gasToken, refundReceiver
            mstore(add(ptr, 0x140), nonce)
            let structHash := keccak256(ptr, 0x160)
            mstore(ptr, domainTypeHash)
            mstore(add(ptr, 0x20), chainid())
            mstore(add(ptr, 0x40), safe)
            let domain := keccak256(ptr, 0x60)
            mstore(ptr, shl(240, 0x1901))
            mstore(add(ptr, 0x02), domain)
            mstore(add(ptr, 0x22), structHash)
            h := keccak256(ptr, 0x42)
        }
    }

    /// @dev The Safe's own getTransactionHash for checkTransaction's arguments at `nonce`, its call built from
    ///      checkTransaction's calldata head (the two share the layout of their first nine arguments); `data` goes
    ///      after the ten head words.
    function _safeHash(address safe, bytes calldata data, uint256 nonce) internal view returns (bytes32 h) {
        bytes4 selector = ISafeView.getTransactionHash.selector;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            calldatacopy(add(ptr, 0x04), 0x04, 0x40) // to, value
            mstore(add(ptr, 0x44), 0x140) // data: offset past the ten head words
            calldatacopy(add(ptr, 0x64), 0x64, 0xc0) // operation, safeTxGas, baseGas, gasPrice, gasToken, refundReceiver
            mstore(add(ptr, 0x124), nonce)
            mstore(add(ptr, 0x144), data.length)
            let padded := and(add(data.length, 31), not(31))
            if padded { mstore(add(ptr, add(0x144, padded)), 0) } // zero the padding of the last word
            calldatacopy(add(ptr, 0x164), data.offset, data.length)
            if iszero(staticcall(gas(), safe, ptr, add(0x164, padded), 0x00, 0x20)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// @dev The bytes owners sign (0x1901 ‖ domain separator ‖ struct hash): 1.3.0 and 1.4.1 hand them to EIP-1271
    ///      owners; their hash is the safeTxHash, which the Safe checks the signatures against.
    function _preimage(address safe, SafeTx calldata t) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(
            abi.encode(
                SAFE_TX_TYPEHASH,
                t.to,
                t.value,
                keccak256(t.data),
                t.operation,
                t.safeTxGas,
                t.baseGas,
                t.gasPrice,
                t.gasToken,
                t.refundReceiver,
                t.nonce
            )
        );
        return abi.encodePacked(bytes1(0x19), bytes1(0x01), ISafeView(safe).domainSeparator(), structHash);
    }

    /// @dev A Safe slot through StorageAccessible.getStorageAt; a caller without it (not a Safe) reads as 0.
    function _readSlot(address safe, bytes32 slot) internal view returns (bytes32 value) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(224, 0x5624b25b)) // getStorageAt(uint256,uint256)
            mstore(add(ptr, 0x04), slot)
            mstore(add(ptr, 0x24), 1)
            // It returns abi.encode(bytes): offset, length, then the slot's word. (Two statements: Yul evaluates
            // arguments right to left, so returndatasize() must come after the call.)
            let ok := staticcall(gas(), safe, ptr, 0x44, ptr, 0x60)
            if and(ok, iszero(lt(returndatasize(), 0x60))) { value := mload(add(ptr, 0x40)) }
        }
    }

    /// @dev The Safe's nonce() (a view, so through STATICCALL); reverts if the caller has none.
    function _safeNonce(address safe) internal view returns (uint256 n) {
        assembly ("memory-safe") {
            mstore(0x00, 0xaffed0e0) // nonce()
            if iszero(staticcall(gas(), safe, 0x1c, 0x04, 0x00, 0x20)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            n := mload(0x00)
        }
    }

    /// @dev A Safe's settings as one word, CustosGuardRules.Settings' storage layout: guardian (bits 0-159), delay
    ///      (160-191), removalDelay (192-223), epoch (224-255).
    function _settingsWord(address safe) internal view returns (uint256 w) {
        CustosGuardRules.Settings storage settings_ = _settings[safe];
        assembly ("memory-safe") {
            w := sload(settings_.slot)
        }
    }

    function _epoch(uint256 settings) internal pure returns (uint32) {
        return uint32(settings >> 224);
    }

    /// @dev Where a record lives; its word has CustosGuardRules.Record's storage layout: scheduledAt (bits 0-63),
    ///      approvedEpoch (64-95), cancelled (96-103), guardChange (104-111).
    function _recordSlot(address safe, bytes32 hash) internal view returns (uint256 slot) {
        CustosGuardRules.Record storage r = _records[safe][hash];
        assembly ("memory-safe") {
            slot := r.slot
        }
    }

    function _cancelled(uint256 r) internal pure returns (bool) {
        return uint8(r >> 96) != 0;
    }

    function _self() internal view returns (bytes32) {
        return bytes32(uint256(uint160(address(this))));
    }

    function _stackBase(address safe) internal pure returns (uint256) {
        return uint256(uint160(safe)) << 96;
    }

    function _sload(uint256 slot) internal view returns (uint256 v) {
        assembly ("memory-safe") {
            v := sload(slot)
        }
    }

    function _sstore(uint256 slot, uint256 v) internal {
        assembly ("memory-safe") {
            sstore(slot, v)
        }
    }

    function _tload(uint256 key) internal view returns (uint256 v) {
        assembly ("memory-safe") {
            v := tload(key)
        }
    }

    function _tstore(uint256 key, uint256 v) internal {
        assembly ("memory-safe") {
            tstore(key, v)
        }
    }
}

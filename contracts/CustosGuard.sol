// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

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

    /// @return pass the transaction may execute now
    /// @return cleared it may also change the guard or its settings (scheduled at least removalDelay ago)
    function decide(Record memory r, Settings memory s, uint256 time) internal pure returns (bool pass, bool cleared) {
        if (r.cancelled) return (false, false);
        bool scheduled = r.scheduledAt != 0;
        cleared = scheduled && time >= uint256(r.scheduledAt) + s.removalDelay;
        // A guard change always waits removalDelay, approved or not.
        bool ready = scheduled && time >= uint256(r.scheduledAt) + (r.guardChange ? s.removalDelay : s.delay);
        bool approved = !r.guardChange && s.epoch != 0 && r.approvedEpoch == s.epoch;
        pass = ready || approved;
    }

    /// @dev Only a record that was scheduled by owners' signatures, is not a guard change and is still live can
    ///      be cancelled: the guardian can never block the owners' way out.
    function cancellable(Record memory r) internal pure returns (bool) {
        return r.scheduledAt != 0 && !r.guardChange && !r.cancelled;
    }

    function approvable(Record memory r) internal pure returns (bool) {
        return !r.cancelled;
    }

    /// @dev Only a transaction never seen and never cancelled can be scheduled: a cancelled hash stays cancelled
    ///      and nobody can restart the clock of a pending one.
    function schedulable(Record memory r) internal pure returns (bool) {
        return r.scheduledAt == 0 && !r.cancelled;
    }

    /// @dev The canonical rejection that burns a nonce. Every gas field must be zero (`gasBits` is their bitwise
    ///      OR): a refund paid in a token would otherwise turn this always-open door into a way to pay anyone.
    function isRejection(address safe, address to, uint256 value, uint256 dataLength, uint8 operation, uint256 gasBits)
        internal
        pure
        returns (bool)
    {
        return to == safe && value == 0 && dataLength == 0 && operation == 0 && gasBits == 0;
    }

    /// @dev safeTxGas | baseGas | gasPrice | gasToken | refundReceiver: zero exactly when every one is zero.
    function gasFields(uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver)
        internal
        pure
        returns (uint256)
    {
        return safeTxGas | baseGas | gasPrice | uint256(uint160(gasToken)) | uint256(uint160(refundReceiver));
    }
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
///      - The hooks hash with the Safe's own getTransactionHash at nonce - 1 (the Safe increments the nonce before
///        calling the guard), so the guard and the Safe can never disagree on a hash.
///      - Guard changes are caught by their effect, not by their calldata: after a DELEGATECALL or a call to the
///        Safe itself, the guard reads the Safe's guard slots back and reverts if they changed without clearance.
///        `configure` on an active guard needs the same clearance from the transaction running it.
///      - The clearance of the running Safe transaction lives in transient storage (EIP-1153, so Cancun or later).
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

    uint256 public constant MAX_DELAY = CustosGuardRules.MAX_DELAY;
    uint256 public constant MAX_ALLOWLIST = 32;

    /// @dev keccak256("guard_manager.guard.address") and keccak256("module_manager.module_guard.address").
    bytes32 internal constant GUARD_SLOT = 0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8;
    bytes32 internal constant MODULE_GUARD_SLOT = 0xb104e0b93118902c651344349b610029d694cfdec91c589c91ebafbcd0289947;

    bytes32 internal constant DOMAIN_SEPARATOR_TYPEHASH = keccak256("EIP712Domain(uint256 chainId,address verifyingContract)");
    bytes32 internal constant SAFE_TX_TYPEHASH = keccak256(
        "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
    );
    bytes32 internal constant MODULE_CALL_TYPEHASH =
        keccak256("CustosModuleCall(address safe,address module,address to,uint256 value,bytes data,uint8 operation)");

    // Transient bookkeeping between a hook and its after-hook. Per (Safe, hash) key: flags, then the guard slot,
    // module guard slot and module call hash as read before execution.
    uint256 internal constant JUDGED = 1;
    uint256 internal constant PUSHED = 2;
    uint256 internal constant CHECK_SLOTS = 4;
    uint256 internal constant MODULE = 8;
    uint256 internal constant FRAME_CLEARED = 1;
    bytes32 internal constant DEPTH_TAG = keccak256("custos.guard.depth");
    bytes32 internal constant FRAME_TAG = keccak256("custos.guard.frame");
    bytes32 internal constant MODULE_TAG = keccak256("custos.guard.module");

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
    event Executed(address indexed safe, bytes32 indexed safeTxHash, bool success);
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
        CustosGuardRules.Settings memory s = _settings[msg.sender];
        if (s.epoch != 0 && !_mayReconfigure(msg.sender)) revert ReconfigureNotCleared(msg.sender);
        uint32 epoch = s.epoch + 1;
        _settings[msg.sender] = CustosGuardRules.Settings(guardian, delay, removalDelay, epoch);
        delete _allowlist[msg.sender];
        for (uint256 i = 0; i < moduleAllowlist.length; ++i) {
            if (moduleAllowlist[i] == address(0)) revert InvalidSettings();
            _allowedIn[msg.sender][moduleAllowlist[i]] = epoch;
            _allowlist[msg.sender].push(moduleAllowlist[i]);
        }
        emit Configured(msg.sender, guardian, delay, removalDelay, moduleAllowlist, epoch);
    }

    /// @dev Inside a guarded transaction only a cleared one may reconfigure; outside, only when the guard is not
    ///      the Safe's transaction guard (then it has no hold on the Safe's own transactions anyway).
    function _mayReconfigure(address safe) internal view returns (bool) {
        uint256 depth = _tload(_depthKey(safe));
        if (depth != 0) return _tload(_frameKey(safe, depth)) & FRAME_CLEARED != 0;
        return _readSlot(safe, GUARD_SLOT) != bytes32(uint256(uint160(address(this))));
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
        safeTxHash = _scheduledTxHash(safe, t);
        CustosGuardRules.Record memory r = _records[safe][safeTxHash];
        if (!CustosGuardRules.schedulable(r)) {
            if (r.cancelled) revert CancelledTx(safeTxHash);
            revert AlreadyScheduled(safeTxHash);
        }
        ISafeView(safe).checkSignatures(safeTxHash, _preimage(safe, t), signatures);
        r.scheduledAt = uint64(block.timestamp);
        r.guardChange = _isGuardChange(safe, t);
        _records[safe][safeTxHash] = r;
        emit Scheduled(
            safe,
            safeTxHash,
            t,
            uint64(block.timestamp + (r.guardChange ? s.removalDelay : s.delay)),
            r.guardChange
        );
    }

    /// @notice The fast path: the guardian lets one Safe transaction (or, on 1.5.0, one module call) run now.
    ///         It lets nothing run that the owners did not sign: the Safe still checks their signatures.
    function approve(address safe, bytes32 hash) external onlyCall onlyGuardian(safe) {
        CustosGuardRules.Record memory r = _records[safe][hash];
        if (!CustosGuardRules.approvable(r)) revert CancelledTx(hash);
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
        if (!CustosGuardRules.cancellable(r)) {
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

    /// @dev msg.sender is the Safe (anyone else calling only ever reads and writes its own entries);
    ///      `msgSender`, the account that called execTransaction, grants nothing: anyone may execute.
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
        bytes memory, // calldata would not fit the legacy code generator's stack
        address
    ) external onlyCall {
        CustosGuardRules.Settings memory s = _settings[msg.sender];
        if (s.epoch == 0) return;
        // The Safe increments its nonce before calling the guard: the transaction's own nonce is one less.
        bytes32 h = _hookTxHash(msg.sender, data, ISafeView(msg.sender).nonce() - 1);
        if (_hookIsRejection(msg.sender, data.length)) {
            _tstore(_key(msg.sender, h), JUDGED);
            return;
        }
        bool cleared = _admit(msg.sender, h, s);
        (address to, uint256 operation) = _hookTarget();
        bool touchesSafe = operation == uint256(Operation.DelegateCall) || to == msg.sender;
        if (cleared || touchesSafe || to == address(this)) {
            _push(msg.sender, h, cleared, touchesSafe && !cleared, false);
        } else {
            _tstore(_key(msg.sender, h), JUDGED);
        }
    }

    /// @dev Reverts unless the rules let the transaction run; uses its record up and says whether it is cleared.
    function _admit(address safe, bytes32 h, CustosGuardRules.Settings memory s) internal returns (bool cleared) {
        CustosGuardRules.Record memory r = _records[safe][h];
        bool pass;
        (pass, cleared) = CustosGuardRules.decide(r, s, block.timestamp);
        if (!pass) {
            if (r.cancelled) revert CancelledTx(h);
            revert NotAllowed(h);
        }
        // Used up: the nonce makes the hash unrepeatable, and clearing the slot refunds most of its cost.
        delete _records[safe][h];
    }

    function checkAfterExecution(bytes32 hash, bool success) external onlyCall {
        address safe = msg.sender;
        uint256 key = _key(safe, hash);
        uint256 flags = _tload(key);
        if (flags == 0) return;
        _pop(safe, key, flags);
        emit Executed(safe, hash, success);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Module guard (Safe 1.5.0)

    /// @dev A module transaction passes if its module is on the Safe's allowlist, or if the guardian approved that
    ///      exact call (moduleCallHash), once. It can never change the guard or its settings.
    function checkModuleTransaction(address to, uint256 value, bytes calldata data, Operation operation, address module)
        external
        onlyCall
        returns (bytes32 moduleTxHash)
    {
        address safe = msg.sender;
        CustosGuardRules.Settings memory s = _settings[safe];
        if (s.epoch == 0) return bytes32(0);
        bytes32 callHash = moduleCallHash(safe, module, to, value, data, operation);
        if (_allowedIn[safe][module] != s.epoch) {
            CustosGuardRules.Record memory r = _records[safe][callHash];
            if (r.cancelled || r.approvedEpoch != s.epoch) revert ModuleNotAllowed(module, callHash);
            delete _records[safe][callHash];
        }
        uint256 depth = _tload(_depthKey(safe)) + 1;
        moduleTxHash = keccak256(abi.encode(MODULE_TAG, callHash, depth));
        _push(safe, moduleTxHash, false, operation == Operation.DelegateCall || to == safe, true);
        _tstore(_key(safe, moduleTxHash) + 3, uint256(callHash));
    }

    function checkAfterModuleExecution(bytes32 txHash, bool success) external onlyCall {
        address safe = msg.sender;
        uint256 key = _key(safe, txHash);
        uint256 flags = _tload(key);
        if (flags == 0) return;
        bytes32 callHash = bytes32(_tload(key + 3));
        _pop(safe, key, flags);
        emit ModuleExecuted(safe, callHash, success);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Frames: which guarded transaction of a Safe is running, and whether it may touch the guard

    function _push(address safe, bytes32 hash, bool cleared, bool checkSlots, bool isModule) internal {
        uint256 key = _key(safe, hash);
        uint256 depthKey = _depthKey(safe);
        uint256 depth = _tload(depthKey) + 1;
        _tstore(depthKey, depth);
        _tstore(_frameKey(safe, depth), cleared ? FRAME_CLEARED : 0);
        uint256 flags = JUDGED | PUSHED;
        if (checkSlots) {
            flags |= CHECK_SLOTS;
            _tstore(key + 1, uint256(_readSlot(safe, GUARD_SLOT)));
            _tstore(key + 2, uint256(_readSlot(safe, MODULE_GUARD_SLOT)));
        }
        if (isModule) flags |= MODULE;
        _tstore(key, flags);
    }

    /// @dev An uncleared transaction may leave each guard slot as it was or point it at this guard; nothing else.
    function _pop(address safe, uint256 key, uint256 flags) internal {
        _tstore(key, 0);
        if (flags & PUSHED == 0) return;
        if (flags & CHECK_SLOTS != 0) {
            bytes32 self = bytes32(uint256(uint160(address(this))));
            bytes32 guard = _readSlot(safe, GUARD_SLOT);
            bytes32 moduleGuard = _readSlot(safe, MODULE_GUARD_SLOT);
            if (guard != bytes32(_tload(key + 1)) && guard != self) revert GuardChangeNotCleared(safe);
            if (moduleGuard != bytes32(_tload(key + 2)) && moduleGuard != self) revert GuardChangeNotCleared(safe);
        }
        uint256 depthKey = _depthKey(safe);
        uint256 depth = _tload(depthKey);
        if (depth != 0) {
            _tstore(_frameKey(safe, depth), 0);
            _tstore(depthKey, depth - 1);
        }
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
        st.approved = s.epoch != 0 && r.approvedEpoch == s.epoch && !r.cancelled;
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

    /// @dev checkTransaction's `to` and `operation`, from its calldata head (see _hookTxHash).
    function _hookTarget() internal pure returns (address to, uint256 operation) {
        assembly ("memory-safe") {
            to := calldataload(0x04)
            operation := calldataload(0x64)
        }
    }

    /// @dev isRejection for checkTransaction's arguments, read from its calldata head (see _hookTxHash).
    function _hookIsRejection(address safe, uint256 dataLength) internal pure returns (bool) {
        uint256 to;
        uint256 value;
        uint256 operation;
        uint256 gasFields;
        assembly ("memory-safe") {
            to := calldataload(0x04)
            value := calldataload(0x24)
            operation := calldataload(0x64)
            // safeTxGas | baseGas | gasPrice | gasToken | refundReceiver
            gasFields := or(or(or(calldataload(0x84), calldataload(0xa4)), or(calldataload(0xc4), calldataload(0xe4))), calldataload(0x104))
        }
        return CustosGuardRules.isRejection(safe, address(uint160(to)), value, dataLength, uint8(operation), gasFields);
    }

    function _isRejectionTx(address safe, SafeTx calldata t) internal pure returns (bool) {
        uint256 gas = CustosGuardRules.gasFields(t.safeTxGas, t.baseGas, t.gasPrice, t.gasToken, t.refundReceiver);
        return CustosGuardRules.isRejection(safe, t.to, t.value, t.data.length, uint8(t.operation), gas);
    }

    function _scheduledTxHash(address safe, SafeTx calldata t) internal view returns (bytes32) {
        return ISafeView(safe).getTransactionHash(
            t.to, t.value, t.data, t.operation, t.safeTxGas, t.baseGas, t.gasPrice, t.gasToken, t.refundReceiver, t.nonce
        );
    }

    /// @dev The Safe's getTransactionHash for the transaction checkTransaction was called with, its call built
    ///      from checkTransaction's own calldata: the two functions share the head layout of their first nine
    ///      arguments (to, value, data, operation, safeTxGas, baseGas, gasPrice, gasToken, refundReceiver), whose
    ///      values the ABI decoder has already validated. `data` is placed after the ten head words.
    function _hookTxHash(address safe, bytes calldata data, uint256 nonce)
        internal
        view
        returns (bytes32 h)
    {
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
        (bool ok, bytes memory out) =
            safe.staticcall(abi.encodeWithSignature("getStorageAt(uint256,uint256)", uint256(slot), uint256(1)));
        if (!ok || out.length < 96) return bytes32(0);
        assembly ("memory-safe") {
            value := mload(add(out, 96))
        }
    }

    function _key(address safe, bytes32 hash) internal pure returns (uint256 k) {
        assembly ("memory-safe") {
            mstore(0x00, safe)
            mstore(0x20, hash)
            k := keccak256(0x00, 0x40)
        }
    }

    function _depthKey(address safe) internal pure returns (uint256) {
        return _key(safe, DEPTH_TAG);
    }

    function _frameKey(address safe, uint256 depth) internal pure returns (uint256) {
        return _key(safe, bytes32(uint256(FRAME_TAG) + depth));
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

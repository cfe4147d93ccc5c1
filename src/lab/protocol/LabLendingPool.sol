// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

interface IPriceFeed {
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

/// A small lending market for the lab: lenders supply a token, borrowers lock ETH as collateral
/// priced by a Chainlink feed (token per ETH, 8 decimals) and borrow the token. Reserves are what
/// the pool holds beyond what it owes its lenders (Comet's `getReserves`: negative is a deficit).
/// A pause guardian may pause it; only the admin unpauses.
contract LabLendingPool is AccessControlEnumerable, Pausable {
    bytes32 public constant PAUSE_GUARDIAN_ROLE = keccak256("PAUSE_GUARDIAN_ROLE");

    IERC20 public immutable asset;
    IPriceFeed public immutable priceFeed;
    uint256 public targetReserves;
    uint256 public totalSupplied;
    uint256 public totalBorrowed;
    mapping(address => uint256) public supplied;
    mapping(address => uint256) public collateral;
    mapping(address => uint256) public debt;

    constructor(IERC20 asset_, IPriceFeed priceFeed_, uint256 targetReserves_, address admin, address guardian) {
        asset = asset_;
        priceFeed = priceFeed_;
        targetReserves = targetReserves_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSE_GUARDIAN_ROLE, guardian);
    }

    function pause() external onlyRole(PAUSE_GUARDIAN_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    function getReserves() public view returns (int256) {
        return int256(asset.balanceOf(address(this))) + int256(totalBorrowed) - int256(totalSupplied);
    }

    function setTargetReserves(uint256 target) external onlyRole(DEFAULT_ADMIN_ROLE) {
        targetReserves = target;
    }

    function withdrawReserves(address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(asset.transfer(to, amount), "transfer failed");
    }

    function supply(uint256 amount) external whenNotPaused {
        require(asset.transferFrom(msg.sender, address(this), amount), "transfer failed");
        supplied[msg.sender] += amount;
        totalSupplied += amount;
    }

    function withdraw(uint256 amount) external whenNotPaused {
        supplied[msg.sender] -= amount;
        totalSupplied -= amount;
        require(asset.transfer(msg.sender, amount), "transfer failed");
    }

    function depositCollateral() external payable whenNotPaused {
        collateral[msg.sender] += msg.value;
    }

    /// Borrows against the caller's collateral, worth at least 150% of the debt at the feed's price.
    function borrow(uint256 amount) external whenNotPaused {
        (, int256 price,,,) = priceFeed.latestRoundData();
        require(price > 0, "bad price");
        debt[msg.sender] += amount;
        totalBorrowed += amount;
        require(collateral[msg.sender] * uint256(price) / 1e8 * 2 >= debt[msg.sender] * 3, "undercollateralized");
        require(asset.transfer(msg.sender, amount), "transfer failed");
    }
}

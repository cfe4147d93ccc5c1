// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// Votes for the Bravo stack on a pre-Cancun (Shanghai) lab, where GovToken cannot run: OZ 5.7's
/// ERC20Votes reaches MCOPY through EIP712. Every holder votes with its own balance, checkpointed by
/// block number; there is no delegation.
contract LabVotesToken is ERC20 {
    using Checkpoints for Checkpoints.Trace208;

    mapping(address => Checkpoints.Trace208) private _votes;

    constructor(string memory name_, string memory symbol_, address holder, uint256 supply) ERC20(name_, symbol_) {
        _mint(holder, supply);
    }

    function getVotes(address account) external view returns (uint256) {
        return _votes[account].latest();
    }

    function getPastVotes(address account, uint256 blockNumber) external view returns (uint256) {
        require(blockNumber < block.number, "LabVotesToken: future lookup");
        return _votes[account].upperLookupRecent(SafeCast.toUint48(blockNumber));
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        uint48 blockNumber = SafeCast.toUint48(block.number);
        if (from != address(0)) _votes[from].push(blockNumber, SafeCast.toUint208(balanceOf(from)));
        if (to != address(0)) _votes[to].push(blockNumber, SafeCast.toUint208(balanceOf(to)));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Runs a governance proposal's calls from its executor's own address. In a simulation the
/// executor's code is replaced by this contract (a state override) and its real code is moved
/// to SHADOW: a call from SENDER runs the proposal's calls in order, with the executor as
/// msg.sender and its real balance; any other call to the executor (a call a target makes back
/// to it, the timelock calling itself to change its delay) runs the real code by DELEGATECALL,
/// so it sees the executor's storage and the same msg.sender. It touches no storage itself.
contract CustosBatcher {
    address constant SENDER = 0x00000000000000000000000000000000C0570500;
    address constant SHADOW = 0x00000000000000000000000000000000c0570501;

    struct Call {
        address to;
        uint256 value;
        bytes data;
    }

    fallback(bytes calldata input) external payable returns (bytes memory) {
        if (msg.sender == SENDER) {
            Call[] memory calls = abi.decode(input, (Call[]));
            for (uint256 i = 0; i < calls.length; i++) {
                (bool ok, bytes memory ret) = calls[i].to.call{value: calls[i].value}(calls[i].data);
                // One failing call fails the whole proposal, as a timelock's executeBatch does.
                if (!ok) {
                    assembly {
                        revert(add(ret, 32), mload(ret))
                    }
                }
            }
            return "";
        }
        (bool success, bytes memory out) = SHADOW.delegatecall(input);
        if (!success) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        return out;
    }
}

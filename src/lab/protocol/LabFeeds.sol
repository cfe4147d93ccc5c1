// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// Chainlink's mock aggregator with the bounds of a real OCR aggregator: a live aggregator never
/// reports outside [minAnswer, maxAnswer], so an answer at a bound is a pinned price (LUNA).
contract LabAggregator is MockV3Aggregator {
    int192 public immutable minAnswer;
    int192 public immutable maxAnswer;

    constructor(uint8 decimals_, int256 initialAnswer, int192 minAnswer_, int192 maxAnswer_)
        MockV3Aggregator(decimals_, initialAnswer)
    {
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
    }
}

/// What protocols read: a proxy in front of the aggregator, as Chainlink's EACAggregatorProxy is
/// (`aggregator()` names the aggregator behind it, where the bounds are).
contract LabFeedProxy {
    AggregatorV3Interface public aggregator;
    address public immutable owner;

    constructor(AggregatorV3Interface aggregator_) {
        aggregator = aggregator_;
        owner = msg.sender;
    }

    function setAggregator(AggregatorV3Interface aggregator_) external {
        require(msg.sender == owner, "only owner");
        aggregator = aggregator_;
    }

    function decimals() external view returns (uint8) {
        return aggregator.decimals();
    }

    function description() external view returns (string memory) {
        return aggregator.description();
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return aggregator.latestRoundData();
    }
}

/// The L2 cross-domain messenger, as the sequencer uptime feed sees it: it relays a status
/// update from the L1 sender the feed trusts.
contract LabL2Messenger {
    address public xDomainMessageSender;

    function relay(address l1Sender, address target, bytes calldata data) external {
        xDomainMessageSender = l1Sender;
        (bool ok, bytes memory result) = target.call(data);
        xDomainMessageSender = address(0);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }
}

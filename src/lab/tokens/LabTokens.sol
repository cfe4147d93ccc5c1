// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// An ERC721 the lab mints at will. `trustOperator` is a token's own, non-standard way to grant an
/// operator approval: no known selector says so, only its ApprovalForAll event does.
contract LabNFT is ERC721 {
    constructor() ERC721("Lab NFT", "LNFT") {}

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }

    function trustOperator(address operator) external {
        _setApprovalForAll(msg.sender, operator, true);
    }
}

/// An ERC1155 the lab mints at will (to contracts too: the Safe's fallback handler accepts them).
contract LabMultiToken is ERC1155 {
    constructor() ERC1155("") {}

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}

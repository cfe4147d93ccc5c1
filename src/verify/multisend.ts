// MultiSend's packing moved to model/ (the simulation reads it too); this keeps the older
// import path working for code written against it.
export { type PackedCall, packMultiSend, type UnpackResult, unpackMultiSend } from '../model/multisend.js'

export { type TreeRow, treeSubject } from './control-protocol.ts';
export { RemoteControl } from './remote-control.ts';

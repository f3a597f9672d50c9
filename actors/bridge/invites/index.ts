export { FileInviteBook, InviteStoreError } from './file-invite-book.ts';

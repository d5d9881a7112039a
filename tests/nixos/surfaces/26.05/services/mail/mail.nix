# nixos/modules/services/mail/mail.nix: services.mail.sendmailSetuidWrapper.
# sink: declared loosely, not transcribed. Only transcribed modules set it
# (postfix, when setSendmail). In nixpkgs it is an internal option, `nullOr`
# a security.wrappers entry, default null; the module turns it into
# security.wrappers.sendmail [MEMORY, both].
# Left out: everything else of the file.
{ config, lib, ... }:
let
  cfg = config.services.mail;
in
{
  options.services.mail.sendmailSetuidWrapper = lib.mkOption {
    type = lib.types.nullOr lib.types.anything;
    default = null;
    internal = true;
    description = "sink: declared loosely, not transcribed. The sendmail setuid wrapper.";
  };

  config = lib.mkIf (cfg.sendmailSetuidWrapper != null) {
    security.wrappers.sendmail = cfg.sendmailSetuidWrapper;
  };
}

# nixos/modules/services/mail/mail.nix, verbatim.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62181854293, read in full). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header).
# services.mail.sendmailSetuidWrapper's type is nullOr the element type of
# security.wrappers, which this surface declares loosely
# (security/wrappers/default.nix: attrsOf anything), so here it checks
# no more than that sink does. Set by transcribed modules only (postfix,
# when setSendmail).
# Left out: nothing.
{
  config,
  lib,
  options,
  ...
}:
{

  ###### interface

  options = {

    services.mail = {

      sendmailSetuidWrapper = lib.mkOption {
        default = null;

        description = ''
          Configuration for the sendmail setuid wapper.
        '';

        internal = true;
        type = lib.types.nullOr options.security.wrappers.type.nestedTypes.elemType;
      };

    };

  };

  ###### implementation

  config = lib.mkIf (config.services.mail.sendmailSetuidWrapper != null) {

    security.wrappers.sendmail = config.services.mail.sendmailSetuidWrapper;

  };

}

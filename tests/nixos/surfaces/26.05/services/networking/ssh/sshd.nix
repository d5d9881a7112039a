# nixos/modules/services/networking/ssh/sshd.nix, reduced.
# Texts: options from read_file id 61933264874 (nixfmt, recent master; the
# fork sorts option attributes; repository not shown by the index); the
# sshd user/group from read_file id 84058930 (pre-nixfmt, 2024; the same
# block in the recent text was not read). Not dated to 26.05 [INFERENCE:
# these parts are unchanged].
# Verbatim: services.openssh.enable, ports, openFirewall, the users.users
# extension (openssh.authorizedKeys.keys/keyFiles, authorizedPrincipals),
# the sshd user and group, networking.firewall.allowedTCPPorts.
# Left out: package, settings and every other option, sshd_config, the
# host keys, sshd.service/sshd.socket, security.pam.services.sshd,
# /etc/ssh, the module's own assertions, the renamed/removed option modules.
{
  config,
  lib,
  ...
}:
let

  cfg = config.services.openssh;

  userOptions = {

    options.openssh.authorizedKeys = {
      keyFiles = lib.mkOption {
        default = [ ];

        description = ''
          A list of files each containing one OpenSSH public key that should be
          added to the user's authorized keys.
        '';

        type = lib.types.listOf lib.types.path;
      };

      keys = lib.mkOption {
        default = [ ];

        description = ''
          A list of verbatim OpenSSH public keys that should be added to the
          user's authorized keys.
        '';

        example = [
          "ssh-rsa AAAAB3NzaC1yc2etc/etc/etcjwrsh8e596z6J0l7 example@host"
          "ssh-ed25519 AAAAC3NzaCetcetera/etceteraJZMfk3QPfQ foo@bar"
        ];

        type = lib.types.listOf lib.types.singleLineStr;
      };
    };

    options.openssh.authorizedPrincipals = lib.mkOption {
      default = [ ];

      description = ''
        A list of verbatim principal names that should be added to the user's
        authorized principals.
      '';

      example = [
        "example@host"
        "foo@bar"
      ];

      type = with lib.types; listOf lib.types.singleLineStr;
    };

  };

in

{
  ###### interface

  options = {

    services.openssh = {

      enable = lib.mkOption {
        default = false;

        description = ''
          Whether to enable the OpenSSH secure shell daemon, which
          allows secure remote logins.
        '';

        type = lib.types.bool;
      };

      openFirewall = lib.mkOption {
        default = true;

        description = ''
          Whether to automatically open the specified ports in the firewall.
        '';

        type = lib.types.bool;
      };

      ports = lib.mkOption {
        default = [ 22 ];

        description = ''
          Specifies on which ports the SSH daemon listens.
        '';

        type = lib.types.listOf lib.types.port;
      };

    };

    users.users = lib.mkOption {
      type = with lib.types; attrsOf (submodule userOptions);
    };

  };

  ###### implementation

  config = lib.mkIf cfg.enable {

    users.users.sshd = {
      isSystemUser = true;
      group = "sshd";
      description = "SSH privilege separation user";
    };
    users.groups.sshd = { };

    networking.firewall.allowedTCPPorts = lib.optionals cfg.openFirewall cfg.ports;

  };
}

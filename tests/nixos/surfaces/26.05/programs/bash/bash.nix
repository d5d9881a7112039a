# nixos/modules/programs/bash/bash.nix, reduced to programs.bash.enable and
# the default shell it sets.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62417121799, read in full). Dated to 26.05 as
# programs/shadow.nix (same snapshot).
# Verbatim: programs.bash.enable and, under it,
# `users.defaultUserShell = lib.mkDefault pkgs.bashInteractive`.
# Left out: the other programs.bash options (shellInit, loginShellInit,
# interactiveShellInit, promptInit, shellAliases, …), /etc/profile,
# /etc/bashrc, /etc/bash_logout, /etc/inputrc, environment.shells,
# environment.pathsToLink.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.programs.bash;
in
{
  options = {
    programs.bash = {
      enable = lib.mkOption {
        default = true;

        description = ''
          Whenever to configure Bash as an interactive shell.
          Note that this tries to make Bash the default
          {option}`users.defaultUserShell`,
          which in turn means that you might need to explicitly
          set this variable if you have another shell configured
          with NixOS.
        '';

        type = lib.types.bool;
      };
    };
  };

  config = lib.mkIf cfg.enable {
    users.defaultUserShell = lib.mkDefault pkgs.bashInteractive;
  };
}

# A flake-parts module for site repositories: declare the customer once,
# get `nixosConfigurations.mail` and `nixosConfigurations.dns`.
#
#   imports = [ mailplan.flakeModules.default ];
#   mailplan.customer = { name = "ExampleCorp"; domain = "example.com"; … };
{ self }:
{
  config,
  lib,
  inputs,
  ...
}:
let
  cfg = config.mailplan;
in
{
  options.mailplan = {
    customer = lib.mkOption {
      type = lib.types.attrsOf lib.types.anything;
      description = "The customer site declaration (mailplan contract v1).";
      example = lib.literalExpression ''
        mailplan.lib.withPublicIP "203.0.113.5" {
          name = "ExampleCorp";
          domain = "example.com";
        }
      '';
    };
    nixpkgs = lib.mkOption {
      type = lib.types.raw;
      default = inputs.nixpkgs;
      defaultText = lib.literalExpression "inputs.nixpkgs";
      description = "The nixpkgs flake the VMs are built from.";
    };
    system = lib.mkOption {
      type = lib.types.str;
      default = "x86_64-linux";
      description = "The VMs' system.";
    };
    acmeEmail = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      description = "Let's Encrypt contact, for sites with tls = \"http-01\".";
    };
    mailModules = lib.mkOption {
      type = lib.types.listOf lib.types.deferredModule;
      default = [ ];
      description = "Extra NixOS modules for the mail VM (hardware, users, SSH, secrets).";
    };
    dnsModules = lib.mkOption {
      type = lib.types.listOf lib.types.deferredModule;
      default = [ ];
      description = "Extra NixOS modules for the dns VM.";
    };
  };

  config.flake.nixosConfigurations = self.lib.mkSite {
    inherit (cfg)
      nixpkgs
      customer
      system
      acmeEmail
      mailModules
      dnsModules
      ;
  };
}

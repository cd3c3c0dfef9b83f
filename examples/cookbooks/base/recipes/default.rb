include_recipe 'base::hardening'

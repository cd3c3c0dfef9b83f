include_recipe 'shop::web'

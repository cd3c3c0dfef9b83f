include_recipe 'nginx::default'

user 'shop' do
  system true
  shell '/sbin/nologin'
end

directory '/opt/shop' do
  owner 'shop'
  mode '0755'
end

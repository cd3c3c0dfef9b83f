include_recipe 'corp::baseline'

user 'batch' do
  system true
  shell '/sbin/nologin'
end

package 'nginx'

template '/etc/nginx/conf.d/app.conf' do
  source 'app.conf.erb'
  variables(port: node['paasc']['port'])
  notifies :reload, 'service[nginx]', :delayed
end

service 'nginx' do
  action :enable
end

name 'nginx'
version '12.2.0'

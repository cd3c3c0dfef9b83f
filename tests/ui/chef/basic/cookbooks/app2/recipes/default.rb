log 'app2'

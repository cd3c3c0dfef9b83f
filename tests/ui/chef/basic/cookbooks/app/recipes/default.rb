log 'app'
